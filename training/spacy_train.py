"""`spacy train` with aerokg's CPU backend: thinc's NumpyOps with numpy's BLAS instead of BLIS.

    python training/spacy_train.py CONFIG -o OUTPUT [--paths.x y ...]
    python training/spacy_train.py CONFIG -o OUTPUT --pretrain   # `spacy pretrain` instead

Same arguments and results as ``python -m spacy train``; matrix products go through OpenBLAS,
which is 3-4x faster than BLIS for float32 GEMM on the reference machine (see
``pipeline.nlp.loader``). ``AEROKG_GEMM=blis`` gives plain `spacy train`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train
from spacy.training.pretrain import pretrain
from spacy.util import load_config
from thinc.api import set_current_ops

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.nlp.loader import cpu_ops  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--pretrain", action="store_true",
                        help="run `spacy pretrain` on the config's [pretraining] block")
    args, extra = parser.parse_known_args()
    set_current_ops(cpu_ops())
    overrides = parse_config_overrides(extra)
    if args.pretrain:
        config = load_config(args.config, overrides=overrides, interpolate=True)
        args.output.mkdir(parents=True, exist_ok=True)
        pretrain(config, args.output, use_gpu=-1, silent=False)
    else:
        train(args.config, args.output, use_gpu=-1, overrides=overrides)


if __name__ == "__main__":
    main()

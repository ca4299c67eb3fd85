#!/usr/bin/env bash
# The long fuzz campaign (docs/fuzz.md): 1,000,000 mutated inputs per front door (CSV/Parquet
# ingest, formula parser, model loader, rule front end), one seed. The dev profile builds
# dependencies optimised (Cargo.toml), so the test binary `cargo test` built is used as it is.
# Usage: scripts/fuzz.sh [INPUTS_PER_TARGET] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mbdrisk-target}"
export MBDRISK_FUZZ_ITERS="${1:-1000000}"
export MBDRISK_FUZZ_SEED="${2:-1}"
cargo test --test tests suite::fuzz:: -- --nocapture --test-threads=1 2>&1 | grep -oE 'fuzz [a-z]+: .*|test result.*|panicked at.*|memory allocation.*|SIGABRT.*'

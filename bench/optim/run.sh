#!/bin/sh
# Optimizer step on the ResNet-50-FPN parameter set: gcdet (Go) and PyTorch
# back to back, each with and without GC, plus the memory-traffic bound.
# Usage: bench/optim/run.sh [rounds]   (from the repository root)
set -e
rounds=${1:-20}
echo "== load: $(uptime)"
go test ./optim/ -run '^$' -bench 'GCOverhead|TrafficBound' -benchtime "${rounds}x" | grep -E '^Benchmark'
echo "== load: $(uptime)"
# torch's CPU steps are slow: at most 5 rounds
trounds=$rounds; [ "$trounds" -gt 5 ] && trounds=5
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/optim/torch_step.py "$trounds"
echo "== load: $(uptime)"

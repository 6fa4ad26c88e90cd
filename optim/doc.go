// Package optim holds gcdet's optimizers with Gradient Centralization (GC),
// parameter groups, gradient clipping, learning-rate schedules and
// optimizer state for checkpoints.
//
// What it implements, and why each choice:
//
//   - SGD (momentum, dampening, Nesterov, coupled L2 weight decay), SGDW
//     (decoupled decay), Adam (coupled L2) and AdamW (decoupled decay), with
//     PyTorch's update formulas (torch.optim.SGD/Adam/AdamW 1.13), so runs and
//     checkpoints compare with PyTorch step for step. AMSGrad is not offered.
//   - GC (Yong et al., ECCV 2020; see ../../shared/GC.md): each centralized
//     weight row (one output unit's fan-in, M values) has its mean removed.
//     By default GC sits where the authors' code puts it: SGD/Adam: gradient
//     (+ coupled L2) -> GC -> momentum/moments -> step; SGDW/AdamW: GC on the
//     raw gradient. PlacementUpdate ("GC2") centralizes the final parameter
//     update instead (the authors' Adam_GC2/AdamW_GC2), including the
//     decoupled decay term, so each output unit's weight mean never moves.
//   - Which parameters: conv and conv-transpose weights, and linear weights
//     unless GCConfig.Kinds is "conv" (the authors' _GCC); never biases, norm
//     parameters or anything of KindOther. A conv-transpose weight is stored
//     (Cin, Cout/groups, kh, kw); gcdet centralizes per OUTPUT channel (the
//     paper's definition: one output unit's fan-in is Cin/groups*kh*kw values
//     spread over axis 0). The authors' code averages over every axis except
//     axis 0, i.e. per INPUT channel; GCConfig.ConvTranspose = "input"
//     reproduces that for comparisons.
//   - A weight whose rows hold a single value (M = 1) would have its gradient
//     zeroed by GC and never train: such a parameter is left uncentralized
//     and a warning names it (once, at construction; Options.Warn and
//     Optimizer.Warnings).
//   - Scope: whole model, backbone only (names under "backbone.body."), an
//     explicit list of name prefixes, or off. Parameter groups with their own
//     learning rate and weight decay come from GroupRule entries of Config,
//     a plain struct the trainer fills from YAML.
//   - Gradient clipping by the global L2 norm happens before GC (as in the
//     reference detection setup); Step reports the pre-clip norm. GC is
//     linear, so clipping before or after it gives the same step.
//
// Where the work happens: this version updates the host float32 slices of
// CPU tensors (tensor.Tensor.Data), so New refuses parameters on another
// backend. The math lives in small kernels over plain slices
// (kernels_sgd.go, kernels_adam.go, gc.go): per GC row one "sum" pass that
// yields the row mean and one "apply" pass, generic over float32 and
// float64 so the tests run the very same code in float64. The hot loops
// (kernels_simd.go) also have AVX2 assembly versions (kernels_amd64.s) that
// give bit-identical results (no FMA, same summation order), chosen at run
// time; a GC row's sum is formed in float32 lanes over runs of 64 values
// and totalled in float64 (gcRowSum), and the assembly row loops read each
// row twice, to sum it and to update it, the second time from cache, so GC
// adds no memory traffic. Work is spread over all
// cores in items of whole rows; results do not depend on the worker count.
// A CUDA version replaces the kernels and the driver in engine.go; the
// planning (groups, GC layouts, warnings), schedules and state format stay.
// Speed: see ../bench/README.md, section optim.
package optim

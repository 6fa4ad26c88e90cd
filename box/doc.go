// Package box holds the box utilities a two-stage detector shares between
// its heads, the evaluator and the data pipeline: areas, pairwise IoU,
// clipping, small-box removal, format conversion, the box coder (deltas),
// the matcher (IoU thresholds with low-quality matches), the balanced
// positive/negative sampler, NMS and batched (per-class) NMS, and top-k.
//
// Why plain slices: none of this needs gradients. Boxes are a flat []float32
// of N*4 values, XYXY in absolute pixels (the Boxes type is that slice with
// methods), index lists are []int32, matrices are row-major [M*N] slices.
// The package imports nothing of gcdet, so the data pipeline and the
// evaluator can use it without the tensor engine.
//
// Semantics follow torchvision 0.14 (torch 1.13, CPU) to the bit where that
// is possible, because golden tests compare whole detectors against it:
//
//   - arithmetic is float32 in torchvision's order of operations (products
//     are wrapped in float32() so the compiler cannot fuse them into FMAs);
//   - NMS compares its float32 IoU with the threshold in float64 (as the C++
//     kernel does), the Matcher compares in float32 (as a tensor-scalar
//     comparison does);
//   - ties among equal scores are ordered as torch 1.13's CPU sort and topk
//     order them: these call libstdc++'s std::sort, std::nth_element and
//     std::partial_sort, which are not stable, so stdsort.go reproduces those
//     algorithms step by step (see ArgsortDesc and TopK). Newer torch
//     releases sort differently (x86-simd-sort), so tie order is a property
//     of torch 1.13 only.
//
// Transcendentals (log and exp in the box coder) are computed in float64 and
// rounded to float32; torch's vectorized float32 log/exp may differ by an
// ulp, so golden tests of the coder use a tolerance of a few ulps.
//
// Where detectron2 differs, the difference is an option or a separate
// function: Nonempty (strict >, detectron2's Boxes.nonempty) next to
// RemoveSmall (>=, torchvision's remove_small_boxes), and the Matcher's
// handling of images without ground truth (all background, as detectron2;
// torchvision raises and leaves that case to its callers).
//
// Inputs here come from the model and from already validated datasets, not
// from users: malformed slices (a length that is not a multiple of 4,
// mismatched lengths) are programmer errors and panic with a message naming
// the function and the lengths. Boxes and scores are expected to be finite.
package box

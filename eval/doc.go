// Package eval computes COCO detection metrics (box and mask AP/AR) with
// exactly the semantics, and the same numbers to the last bit, of
// pycocotools' COCOeval, from in-memory detections or a results JSON file.
//
// Why our own: every number gcdet reports (and the Gradient Centralization
// ablation's verdict) goes through this package, during training too, so it
// must agree with the reference implementation exactly and run in-process,
// in parallel, without Python.
//
// The pipeline follows COCOeval:
//
//	GT          ground truth index (NewGT, LoadGT); segmentations become RLEs once
//	Detection   one result; ParseResults / LoadResults read pycocotools' results JSON
//	Evaluate    loadRes derivations (areas, boxes, box masks), per image x category
//	            IoU and greedy matching (evaluateImg), accumulate, summarize
//	Result      precision [T,R,K,A,M], recall [T,K,A,M], the 12 Stats, per-category AP
//
// Semantics kept from pycocotools, on purpose: IoU thresholds .50:.05:.95
// and 101 recall points as numpy.linspace computes them; a precision
// envelope sampled with searchsorted; maxDets 1/10/100; area ranges with
// inclusive bounds, chosen by the ground truth's area field (not its box);
// crowd ground truth matched by intersection over detection area and able
// to absorb any number of detections; ignore = iscrowd; matching greedy by
// descending score with stable sorts (ties keep input order); a detection
// matched to a ground truth whose id is 0 counts as unmatched (pycocotools
// stores the matched id and tests it for non-zero); categories without
// ground truth excluded from means; -1 where undefined; means summed like
// numpy (pairwise, in 8192-element blocks).
//
// Where pycocotools crashes, asserts or silently misbehaves on bad input,
// this package returns an error naming the file, result index, image id or
// annotation id: results for unknown images, NaN or infinite scores and
// boxes, masks of the wrong image size, malformed JSON, duplicate ids. An
// empty results list is accepted (every AP is 0) where loadRes would fail.
package eval

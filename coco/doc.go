// Package coco reads and writes COCO-format detection data and turns it into
// model inputs: the instances JSON (images, annotations, categories),
// segmentations (polygons and RLE, with the mask codec in package
// coco/mask), image decoding, the training transforms, batching, a
// parallel seeded loader, a validation report and the synthetic shapes data
// set. It depends on nothing of the tensor engine: a Batch is plain Go
// slices that the model converts.
//
// COCO's XYWH boxes exist only at this package's JSON boundary; samples
// carry XYXY boxes in absolute input pixels and contiguous labels 1..K
// (categories sorted by id, as detectron2; 0 is the background).
//
// # Reading
//
//	d, err := coco.LoadFile("instances_train2017.json", "train2017/")
//	d.Images, d.Annotations, d.Categories       // the JSON, as decoded
//	d.ImageIndex(id), d.ImageAnnotations(i)     // indexes, no quadratic lookups
//	d.Label(categoryID), d.CategoryID(label)    // 1..K and back
//	rep := d.Validate(coco.ValidateOptions{CheckImages: true})
//
// # Training and inference inputs
//
//	cfg := coco.TrainLoaderConfig(batchSize, seed) // detectron2 defaults; edit Transform, Workers, Masks, SkipBad
//	l, err := coco.NewLoader(ctx, d, cfg)
//	defer l.Close()
//	b, err := l.Next()       // *Batch: N x 3 x H x W padded to 32, and the Samples
//	state := l.State()       // give as cfg.Resume to continue bit for bit
//
// A Sample holds the image's Geometry (original and input size, flip), so
// predictions map back with Geometry.InverseBox; Mask.CropResize gives
// Mask R-CNN targets and Mask.RLE full-size masks.
//
// # Synthetic data
//
// GenerateSynth writes colored shapes on textured backgrounds as a COCO data
// set with exact polygon masks; `detect-train synth` calls it.
//
// # Defaults and departures
//
// Transforms follow detectron2 (ResizeShortestEdge rounding, PIL-bilinear
// coefficients, BGR pixels with mean [103.53, 116.28, 123.675], std 1);
// TorchvisionPixels switches to RGB 0..1 with ImageNet mean/std, and
// ResizeTorchvision (TorchvisionTrainTransform) to GeneralizedRCNNTransform's
// sizes and F.interpolate filters, golden-tested against torchvision. Resized
// pixels stay float32 where detectron2 rounds them to uint8 (they differ by
// at most half a level), and EXIF orientation is not applied (COCO's
// annotations refer to the stored pixel grid).
package coco

// Package configs holds gcdet's training configurations: the Config type
// (data, input, model, solver, trainer), YAML loading with _base_
// inheritance and key=value overrides, and the presets compiled into the
// binary.
//
// A config file is YAML whose keys are Config's field tags. It may build on
// other files with a top-level _base_ (a file name or a list, relative to
// the file, or the name of an embedded preset); the file's keys override
// its bases', mappings merging key by key while lists and scalars replace.
// Loading starts from Defaults(). Every key must name a field: a typo is an
// error naming the key, the file and the line, and listing the keys allowed
// there, rather than a setting silently ignored. Overrides ("--set
// solver.max_iter=1000") are parsed as the type of the key they name.
//
// Presets (see PresetNames):
//
//	synthetic_default.yaml       the embedded default run: a small Mask R-CNN on the synthetic shapes set
//	faster_rcnn_R50_FPN_1x.yaml  detectron2's R50-FPN 1x on COCO 2017 (paths under data.root)
//	mask_rcnn_R50_FPN_1x.yaml    the same with the mask branch
//	gc_paper_R50_FPN_1x.yaml     the GC paper's recipe (SGD 0.02 for 16 images, 12 epochs, 1333x800)
//	torchvision_R50_FPN.yaml     torchvision's fasterrcnn_resnet50_fpn and its reference recipe (26 epochs, no GC)
//	ablation/gc_*.yaml           the GC ablation: off, backbone only, whole model, conv only (over ablation/base.yaml)
package configs

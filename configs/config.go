package configs

import "github.com/gcdet/gcdet/optim"

// Config is a whole training run: data, input pipeline, model, solver and
// the trainer's periodic work. YAML keys are the field tags; every key of
// a file must name a field (unknown keys are errors).
//
// Model fields that are pointers override the chosen preset
// (model.preset: detectron2 or torchvision) only when set, so a preset is
// exactly detectron2's or torchvision's unless a file says otherwise.
type Config struct {
	// Seed seeds everything random: weight initialization, data order and
	// augmentation, anchor and RoI sampling.
	Seed uint64 `yaml:"seed"`
	// Device is "cpu" or "cuda".
	Device string `yaml:"device"`
	Data   Data   `yaml:"data"`
	Input  Input  `yaml:"input"`
	Model  Model  `yaml:"model"`
	Solver Solver `yaml:"solver"`
	Train  Train  `yaml:"train"`
}

// Data says where the training and validation sets are.
type Data struct {
	// Root, when set, is the folder relative paths below are taken from
	// (otherwise the current folder). COCO 2017: root: /data/coco,
	// train.annotations: annotations/instances_train2017.json,
	// train.images: train2017, and so on.
	Root  string `yaml:"root"`
	Train Split  `yaml:"train"`
	Val   Split  `yaml:"val"`
	// Synthetic, when enabled, generates the synthetic shapes data set
	// into the run's output folder (data/) and uses it for both splits.
	Synthetic Synthetic `yaml:"synthetic"`
	// FilterEmpty leaves training images without usable annotations out.
	FilterEmpty bool `yaml:"filter_empty"`
	// Workers decode images in parallel.
	Workers int `yaml:"workers"`
	// SkipBad leaves out unreadable images and unusable annotations with a
	// warning instead of stopping.
	SkipBad bool `yaml:"skip_bad"`
	// ValImages, when > 0, evaluates on the first that many validation
	// images only (quick periodic evaluations on big sets).
	ValImages int `yaml:"val_images"`
}

// Split is one COCO instances file and its image folder.
type Split struct {
	Annotations string `yaml:"annotations"`
	Images      string `yaml:"images"`
}

// Synthetic configures the generated shapes data set (coco.SynthConfig).
type Synthetic struct {
	Enabled    bool   `yaml:"enabled"`
	Seed       uint64 `yaml:"seed"`
	Train      int    `yaml:"train"`
	Val        int    `yaml:"val"`
	Size       int    `yaml:"size"`
	MaxObjects int    `yaml:"max_objects"`
	Format     string `yaml:"format"`
}

// Input is the image transform (coco.TransformConfig) for training and
// testing.
type Input struct {
	MinSizeTrain []int   `yaml:"min_size_train"`
	MaxSizeTrain int     `yaml:"max_size_train"`
	MinSizeTest  int     `yaml:"min_size_test"`
	MaxSizeTest  int     `yaml:"max_size_test"`
	FlipProb     float64 `yaml:"flip_prob"`
	// Pixels is "detectron2" (BGR 0..255 minus the mean) or "torchvision"
	// (RGB 0..1, ImageNet mean and std).
	Pixels string `yaml:"pixels"`
	// GroupByAspect batches landscape and portrait images separately.
	GroupByAspect bool `yaml:"group_by_aspect"`
}

// Model selects and sizes the detector.
type Model struct {
	// Arch is "faster_rcnn" or "mask_rcnn".
	Arch string `yaml:"arch"`
	// Preset is "detectron2" or "torchvision": every setting where the two
	// differ (anchors, losses, pooler, init, post-processing).
	Preset string `yaml:"preset"`
	// NumClasses is the number of foreground classes; 0 takes it from the
	// training set's categories.
	NumClasses int `yaml:"num_classes"`
	// Weights initializes the whole detector from a gcdet checkpoint or a
	// safetensors state dict with torchvision's keys. Class-specific layers
	// are re-initialized when the number of classes differs.
	Weights string `yaml:"weights"`
	// KeepCrowd trains on crowd boxes like any other.
	KeepCrowd bool     `yaml:"keep_crowd"`
	Backbone  Backbone `yaml:"backbone"`
	FPN       FPN      `yaml:"fpn"`
	RPN       RPN      `yaml:"rpn"`
	RoIHeads  RoIHeads `yaml:"roi_heads"`
	Mask      Mask     `yaml:"mask"`
}

// Backbone is the ResNet body (backbone.Config).
type Backbone struct {
	Depth         int `yaml:"depth"`
	Groups        int `yaml:"groups"`
	WidthPerGroup int `yaml:"width_per_group"`
	// Norm is FrozenBN, BN or GN.
	Norm             string `yaml:"norm"`
	GNGroups         int    `yaml:"gn_groups"`
	FreezeAt         int    `yaml:"freeze_at"`
	BaseWidth        int    `yaml:"base_width"`
	StrideInOneByOne bool   `yaml:"stride_in_1x1"`
	ZeroInitResidual bool   `yaml:"zero_init_residual"`
	// Weights loads an ImageNet ResNet: a torchvision .pth (resnet50-*.pth)
	// or a safetensors file with torchvision's ResNet keys.
	Weights string `yaml:"weights"`
}

// FPN is the feature pyramid (fpn.Config).
type FPN struct {
	OutChannels int `yaml:"out_channels"`
}

// RPN overrides the preset's region proposal network settings.
type RPN struct {
	PreNMSTopKTrain   *int     `yaml:"pre_nms_topk_train"`
	PreNMSTopKTest    *int     `yaml:"pre_nms_topk_test"`
	PostNMSTopKTrain  *int     `yaml:"post_nms_topk_train"`
	PostNMSTopKTest   *int     `yaml:"post_nms_topk_test"`
	NMSThresh         *float64 `yaml:"nms_thresh"`
	BatchSizePerImage *int     `yaml:"batch_size_per_image"`
	PositiveFraction  *float64 `yaml:"positive_fraction"`
	FgIoUThresh       *float64 `yaml:"fg_iou_thresh"`
	BgIoUThresh       *float64 `yaml:"bg_iou_thresh"`
	SmoothL1Beta      *float64 `yaml:"smooth_l1_beta"`
}

// RoIHeads overrides the preset's box branch settings.
type RoIHeads struct {
	BatchSizePerImage  *int     `yaml:"batch_size_per_image"`
	PositiveFraction   *float64 `yaml:"positive_fraction"`
	FgIoUThresh        *float64 `yaml:"fg_iou_thresh"`
	FCDim              *int     `yaml:"fc_dim"`
	SmoothL1Beta       *float64 `yaml:"smooth_l1_beta"`
	ScoreThresh        *float64 `yaml:"score_thresh"`
	NMSThresh          *float64 `yaml:"nms_thresh"`
	DetectionsPerImage *int     `yaml:"detections_per_image"`
	// PoolerSamplingRatio and PoolerAligned are RoIAlign's settings.
	PoolerSamplingRatio *int  `yaml:"pooler_sampling_ratio"`
	PoolerAligned       *bool `yaml:"pooler_aligned"`
}

// Mask overrides the preset's mask branch settings (Mask R-CNN only).
type Mask struct {
	// NumConvs and ConvDim are the mask head's 3x3 convs and their width
	// (4 and 256).
	NumConvs *int `yaml:"num_convs"`
	ConvDim  *int `yaml:"conv_dim"`
	// PoolerSamplingRatio and PoolerAligned are the mask pooler's RoIAlign
	// settings.
	PoolerSamplingRatio *int  `yaml:"pooler_sampling_ratio"`
	PoolerAligned       *bool `yaml:"pooler_aligned"`
}

// Solver is the optimizer and its schedule.
type Solver struct {
	// Optimizer is optim.Config: algorithm, lr (for ReferenceBatch
	// images), momentum, weight_decay, clip_grad_norm, gc, groups.
	Optimizer optim.Config `yaml:"optimizer"`
	// ImsPerBatch is the number of images per iteration.
	ImsPerBatch int `yaml:"ims_per_batch"`
	// ReferenceBatch is the batch size Optimizer.LR is given for; the rate
	// used is scaled linearly by ImsPerBatch / ReferenceBatch (0: no
	// scaling).
	ReferenceBatch int `yaml:"reference_batch"`
	// MaxIter is the training length in iterations, unless Epochs > 0.
	MaxIter int `yaml:"max_iter"`
	// Epochs > 0 gives the length in passes over the training set, with
	// the learning rate dropping at StepEpochs (mmdetection's 1x: 12 and
	// [8, 11]); the milestones of LRSchedule are then ignored.
	Epochs     int   `yaml:"epochs"`
	StepEpochs []int `yaml:"step_epochs"`
	// LRSchedule is the schedule's policy (multistep, cosine, constant),
	// milestones in iterations, gamma and warmup.
	LRSchedule Schedule `yaml:"lr_schedule"`
}

// Schedule is optim.ScheduleConfig without the length (Solver gives it).
type Schedule struct {
	Policy     string             `yaml:"policy"`
	Milestones []int              `yaml:"milestones"`
	Gamma      float64            `yaml:"gamma"`
	MinFactor  float64            `yaml:"min_factor"`
	Warmup     optim.WarmupConfig `yaml:"warmup"`
}

// Train holds the trainer's periodic work.
type Train struct {
	// LogPeriod iterations between log lines and metrics.jsonl records.
	LogPeriod int `yaml:"log_period"`
	// EvalPeriod iterations between evaluations on the validation set (0:
	// at the end only).
	EvalPeriod int `yaml:"eval_period"`
	// CheckpointPeriod iterations between checkpoints (0: final only);
	// KeepLast periodic checkpoints are kept (0: all), plus the final one.
	CheckpointPeriod int `yaml:"checkpoint_period"`
	KeepLast         int `yaml:"keep_last"`
	// VisImages validation images are drawn with their predictions (score
	// >= VisScoreThresh) after the final evaluation.
	VisImages      int     `yaml:"vis_images"`
	VisScoreThresh float64 `yaml:"vis_score_thresh"`
	// Threads bounds the CPU kernels' threads (0: all cores).
	Threads int `yaml:"threads"`
}

// Defaults are the values a config starts from before its files apply:
// detectron2's R50-FPN 1x Faster R-CNN with the GC paper's solver, on
// paths that must be set.
func Defaults() Config {
	return Config{
		Seed:   0,
		Device: "cpu",
		Data:   Data{FilterEmpty: true, Workers: 2, Synthetic: Synthetic{Train: 256, Val: 64, Size: 160, MaxObjects: 4, Format: "jpeg"}},
		Input: Input{MinSizeTrain: []int{640, 672, 704, 736, 768, 800}, MaxSizeTrain: 1333, MinSizeTest: 800, MaxSizeTest: 1333,
			FlipProb: 0.5, Pixels: "detectron2", GroupByAspect: true},
		Model: Model{Arch: "faster_rcnn", Preset: "detectron2",
			Backbone: Backbone{Depth: 50, Norm: "FrozenBN", FreezeAt: 2},
			FPN:      FPN{OutChannels: 256}},
		Solver: Solver{
			Optimizer:      optim.DefaultConfig(),
			ImsPerBatch:    16,
			ReferenceBatch: 16,
			MaxIter:        90000,
			LRSchedule: Schedule{Policy: optim.PolicyMultiStep, Milestones: []int{60000, 80000}, Gamma: 0.1,
				Warmup: optim.WarmupConfig{Method: optim.WarmupLinear, Iters: 1000, Factor: 0.001}},
		},
		Train: Train{LogPeriod: 20, EvalPeriod: 0, CheckpointPeriod: 5000, KeepLast: 3, VisImages: 4, VisScoreThresh: 0.5},
	}
}

// Package nn holds gcdet's layers (Conv2d, ConvTranspose2d, Linear,
// BatchNorm2d, FrozenBatchNorm2d, GroupNorm), their parameters,
// initializations and state dicts. Layers are thin: they own Params and
// buffers and call ops of package tensor, so they run on any tensor backend.
//
// Names follow torchvision's state_dict keys. A layer names its own tensors
// ("weight", "bias", "running_mean"); a parent that embeds Container
// registers each child under a name, which prefixes the child's names
// ("conv1.weight"), and so on up the tree ("backbone.body.layer1.0.conv1.weight").
// A model's Params and Buffers therefore carry their full key, which the
// optimizer uses to scope Gradient Centralization and parameter groups, and
// state dicts (SaveSafetensors, LoadSafetensors) use to match torch files.
//
// Initializations (init.go) reproduce torch's and detectron2's schemes and
// draw from an explicit *rand.Rand, so runs are reproducible.
package nn

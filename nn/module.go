package nn

import (
	"fmt"
	"strconv"

	"github.com/gcdet/gcdet/tensor"
)

// Module is anything that owns parameters and state: a layer, a block, a
// whole detector.
type Module interface {
	// Params lists the module's parameters (trainable or frozen), each once,
	// in a stable order.
	Params() []*Param
	// Buffers lists named non-trainable state saved in state dicts
	// (running_mean, running_var, num_batches_tracked, frozen affine).
	Buffers() []*Buffer
	// Train switches training mode (batch statistics in BatchNorm2d) on or
	// off, for the module and everything below it. Modules start in
	// training mode, as in torch.
	Train(training bool)
}

// Layer is a Module with a single-tensor forward pass.
type Layer interface {
	Module
	Forward(x *tensor.Tensor) *tensor.Tensor
}

// Buffer is named non-trainable state. Exactly one of Value and Count is
// set, unless Ignored.
type Buffer struct {
	Name string
	// Value is float32 state (running statistics, frozen weight and bias).
	// It never requires gradients.
	Value *tensor.Tensor
	// Count is integer scalar state (num_batches_tracked), saved as a 0-d
	// I64 tensor like torch's.
	Count *int64
	// Ignored marks a key the module accepts from a state dict and
	// discards, without requiring it or saving it (FrozenBatchNorm2d's
	// num_batches_tracked, which torchvision drops the same way).
	Ignored bool
}

// Container is embedded by modules built from named children; it implements
// Module for them. Register adds a child and prefixes the child's parameter
// and buffer names with the child's name, so names are built bottom-up:
// construct the children, then register them. A module must be registered
// at most once.
type Container struct {
	names    []string
	children []Module
	params   []*Param
	buffers  []*Buffer
	training bool
	inited   bool
}

// Register adds m to c as child name and returns m (for chaining in
// constructors: b.Conv1 = nn.Register(&b.Container, "conv1", nn.NewConv2d(...))).
func Register[M Module](c *Container, name string, m M) M {
	c.Add(name, m)
	return m
}

// Add registers child m under name, prefixing the names of m's parameters
// and buffers with name + ".". It panics on an empty or repeated name.
func (c *Container) Add(name string, m Module) {
	if name == "" {
		panic("nn.Container.Add: empty child name")
	}
	for _, n := range c.names {
		if n == name {
			panic(fmt.Sprintf("nn.Container.Add: child %q registered twice", name))
		}
	}
	for _, p := range m.Params() {
		p.Name = name + "." + p.Name
	}
	for _, b := range m.Buffers() {
		b.Name = name + "." + b.Name
	}
	c.names = append(c.names, name)
	c.children = append(c.children, m)
	if c.inited {
		m.Train(c.training)
	}
}

// AddParam adds a parameter owned directly by the container's module (not by
// a child); p.Name is its local name.
func (c *Container) AddParam(p *Param) { c.params = append(c.params, p) }

// AddBuffer adds a buffer owned directly by the container's module.
func (c *Container) AddBuffer(b *Buffer) { c.buffers = append(c.buffers, b) }

// Params returns the container's own parameters, then its children's, in
// registration order (torch's order).
func (c *Container) Params() []*Param {
	out := append([]*Param(nil), c.params...)
	for _, m := range c.children {
		out = append(out, m.Params()...)
	}
	return out
}

// Buffers returns the container's own buffers, then its children's.
func (c *Container) Buffers() []*Buffer {
	out := append([]*Buffer(nil), c.buffers...)
	for _, m := range c.children {
		out = append(out, m.Buffers()...)
	}
	return out
}

// Train sets the mode of every child.
func (c *Container) Train(training bool) {
	c.training, c.inited = training, true
	for _, m := range c.children {
		m.Train(training)
	}
}

// Training reports the mode last set with Train (true before any call).
func (c *Container) Training() bool { return c.training || !c.inited }

// Child returns the child registered as name, or nil.
func (c *Container) Child(name string) Module {
	for i, n := range c.names {
		if n == name {
			return c.children[i]
		}
	}
	return nil
}

// ChildNames lists the children's names in registration order.
func (c *Container) ChildNames() []string { return append([]string(nil), c.names...) }

// Sequential runs its layers one after another, like torch.nn.Sequential;
// its children are named "0", "1", ....
type Sequential struct {
	Container
	Layers []Layer
}

// NewSequential registers layers under their indices.
func NewSequential(layers ...Layer) *Sequential {
	s := &Sequential{Layers: layers}
	for i, l := range layers {
		s.Add(strconv.Itoa(i), l)
	}
	return s
}

// Forward applies the layers in order.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x)
	}
	return x
}

// List holds modules under their indices "0", "1", ..., like
// torch.nn.ModuleList (FPN's inner_blocks and layer_blocks).
type List struct {
	Container
	Items []Module
}

// NewList registers modules under their indices.
func NewList(items ...Module) *List {
	l := &List{Items: items}
	for i, m := range items {
		l.Add(strconv.Itoa(i), m)
	}
	return l
}

// ReLU is max(x, 0) as a parameterless layer (for Sequential).
type ReLU struct{}

// Forward applies tensor.Relu.
func (ReLU) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Relu(x) }

// Params is empty.
func (ReLU) Params() []*Param { return nil }

// Buffers is empty.
func (ReLU) Buffers() []*Buffer { return nil }

// Train does nothing.
func (ReLU) Train(bool) {}

// TrainableParams returns the parameters of m that are trainable.
func TrainableParams(m Module) []*Param {
	var out []*Param
	for _, p := range m.Params() {
		if p.Trainable {
			out = append(out, p)
		}
	}
	return out
}

// ParamsByName indexes m's parameters by name.
func ParamsByName(m Module) map[string]*Param {
	out := map[string]*Param{}
	for _, p := range m.Params() {
		out[p.Name] = p
	}
	return out
}

// ZeroGrad drops the accumulated gradients of m's parameters.
func ZeroGrad(m Module) {
	for _, p := range m.Params() {
		p.Value.ZeroGrad()
	}
}

// setValues copies host values into t's storage on t's backend.
func setValues(t *tensor.Tensor, v []float32) {
	if len(v) != t.Numel() {
		panic(fmt.Sprintf("nn: %d values for a tensor of shape %v", len(v), t.Shape()))
	}
	b := t.Backend()
	b.Copy(t.Storage(), b.FromHost(v))
}

// Every layer of this package is a Layer.
var (
	_ Layer = (*Conv2d)(nil)
	_ Layer = (*ConvTranspose2d)(nil)
	_ Layer = (*Linear)(nil)
	_ Layer = (*BatchNorm2d)(nil)
	_ Layer = (*FrozenBatchNorm2d)(nil)
	_ Layer = (*GroupNorm)(nil)
	_ Layer = (*Sequential)(nil)
	_ Layer = ReLU{}
)

package infer

import (
	"sync"
	"unsafe"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// KVPool is a block KV cache: one slab cut into fixed-size blocks of
// BlockTokens tokens. A block holds, for every layer, the keys and then
// the values of its tokens, BlockTokens×kvDim each, which the model lays
// out head by head ([head][token][headDim]), as float32 or, in an FP16
// pool, as IEEE halves.
// Sequences own blocks through a SeqCache; the pool is safe for concurrent
// Reserve and Release. The slab lives outside the Go heap (see
// kernels.AllocFloats): a gigabyte of cache on the heap would double the
// garbage collector's goal and let a serving process's RSS climb by that
// much before the first collection.
type KVPool struct {
	layers, kvDim, blockTokens int
	format                     kernels.Format
	blockElems                 int       // keys and values of one block
	slab                       []float32 // the memory, in either format
	data                       []float32 // the slab, FP32 pools
	half                       []uint16  // the slab, FP16 pools

	mu   sync.Mutex
	free []int
}

// NewKVPool makes an FP32 pool of as many blocks as fit in capacityBytes
// (at least one) for a model of the given layers and key/value width.
func NewKVPool(layers, kvDim, blockTokens int, capacityBytes int64) *KVPool {
	return NewKVPoolFormat(kernels.FP32, layers, kvDim, blockTokens, capacityBytes)
}

// NewKVPoolFormat is NewKVPool with keys and values stored in format f,
// FP32 or FP16; it panics on any other.
func NewKVPoolFormat(f kernels.Format, layers, kvDim, blockTokens int, capacityBytes int64) *KVPool {
	if f != kernels.FP32 && f != kernels.FP16 {
		panic("infer: KV cache format must be fp32 or fp16, not " + f.String())
	}
	p := &KVPool{
		layers: layers, kvDim: kvDim, blockTokens: blockTokens, format: f,
		blockElems: layers * 2 * blockTokens * kvDim, // even: two per float32 in FP16
	}
	n := int(capacityBytes / p.BlockBytes())
	if n < 1 {
		n = 1
	}
	p.free = make([]int, n)
	p.slab, _ = kernels.AllocFloats(p, int(int64(n)*p.BlockBytes()/4))
	if f == kernels.FP16 {
		p.half = unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(p.slab))), 2*len(p.slab))
	} else {
		p.data = p.slab
	}
	for i := range p.free {
		p.free[i] = n - 1 - i // hand out low blocks first
	}
	return p
}

// Format is the format keys and values are stored in: FP32 or FP16.
func (p *KVPool) Format() kernels.Format { return p.format }

// BlockTokens is the number of tokens one block holds.
func (p *KVPool) BlockTokens() int { return p.blockTokens }

// TotalBlocks is the pool's size in blocks.
func (p *KVPool) TotalBlocks() int { return int(p.CapacityBytes() / p.BlockBytes()) }

// FreeBlocks is the number of blocks not owned by any sequence.
func (p *KVPool) FreeBlocks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// BlockBytes is the size of one block in bytes.
func (p *KVPool) BlockBytes() int64 {
	if p.format == kernels.FP16 {
		return int64(p.blockElems) * 2
	}
	return int64(p.blockElems) * 4
}

// CapacityBytes is the size of the whole pool in bytes.
func (p *KVPool) CapacityBytes() int64 { return int64(len(p.slab)) * 4 }

// UsedBytes is the size of the blocks owned by sequences.
func (p *KVPool) UsedBytes() int64 {
	return int64(p.TotalBlocks()-p.FreeBlocks()) * p.BlockBytes()
}

// kOff is the offset, in elements, of one block and layer's keys; its
// values follow them.
func (p *KVPool) kOff(block, layer int) int {
	return block*p.blockElems + layer*2*p.blockTokens*p.kvDim
}

// K returns the keys of one block and layer of an FP32 pool:
// blockTokens·kvDim floats.
func (p *KVPool) K(block, layer int) []float32 {
	off := p.kOff(block, layer)
	return p.data[off : off+p.blockTokens*p.kvDim]
}

// V returns the values of one block and layer of an FP32 pool.
func (p *KVPool) V(block, layer int) []float32 {
	off := p.kOff(block, layer) + p.blockTokens*p.kvDim
	return p.data[off : off+p.blockTokens*p.kvDim]
}

// KHalf returns the keys of one block and layer of an FP16 pool:
// blockTokens·kvDim halves.
func (p *KVPool) KHalf(block, layer int) []uint16 {
	off := p.kOff(block, layer)
	return p.half[off : off+p.blockTokens*p.kvDim]
}

// VHalf returns the values of one block and layer of an FP16 pool.
func (p *KVPool) VHalf(block, layer int) []uint16 {
	off := p.kOff(block, layer) + p.blockTokens*p.kvDim
	return p.half[off : off+p.blockTokens*p.kvDim]
}

// NewSeq returns an empty cache for one sequence.
func (p *KVPool) NewSeq() *SeqCache { return &SeqCache{pool: p} }

// SeqCache is one sequence's blocks and the number of tokens stored.
type SeqCache struct {
	// Len is the number of tokens whose keys and values are stored.
	Len int
	// Blocks are the pool blocks in position order: token t lives in
	// Blocks[t/BlockTokens] at row t%BlockTokens.
	Blocks []int
	pool   *KVPool
}

// Pool returns the pool the cache draws from.
func (c *SeqCache) Pool() *KVPool { return c.pool }

// Reserve makes room for tokens more tokens after Len. It reports false,
// and takes nothing, when the pool has too few free blocks.
func (c *SeqCache) Reserve(tokens int) bool {
	p := c.pool
	need := (c.Len+tokens+p.blockTokens-1)/p.blockTokens - len(c.Blocks)
	if need <= 0 {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if need > len(p.free) {
		return false
	}
	n := len(p.free) - need
	for i := len(p.free) - 1; i >= n; i-- {
		c.Blocks = append(c.Blocks, p.free[i])
	}
	p.free = p.free[:n]
	return true
}

// Release returns every block to the pool and empties the cache.
func (c *SeqCache) Release() {
	p := c.pool
	p.mu.Lock()
	p.free = append(p.free, c.Blocks...)
	p.mu.Unlock()
	c.Blocks = c.Blocks[:0]
	c.Len = 0
}

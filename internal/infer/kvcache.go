package infer

import (
	"sync"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// KVPool is a block KV cache: one slab of float32 cut into fixed-size
// blocks of BlockTokens tokens. A block holds, for every layer, the keys and
// then the values of its tokens, BlockTokens×kvDim floats each, which the
// model lays out head by head ([head][token][headDim]).
// Sequences own blocks through a SeqCache; the pool is safe for concurrent
// Reserve and Release. The slab lives outside the Go heap (see
// kernels.AllocFloats): a gigabyte of cache on the heap would double the
// garbage collector's goal and let a serving process's RSS climb by that
// much before the first collection.
type KVPool struct {
	layers, kvDim, blockTokens int
	blockFloats                int
	data                       []float32

	mu   sync.Mutex
	free []int
}

// NewKVPool makes a pool of as many blocks as fit in capacityBytes (at
// least one) for a model of the given layers and key/value width.
func NewKVPool(layers, kvDim, blockTokens int, capacityBytes int64) *KVPool {
	blockFloats := layers * 2 * blockTokens * kvDim
	n := int(capacityBytes / int64(blockFloats*4))
	if n < 1 {
		n = 1
	}
	p := &KVPool{
		layers: layers, kvDim: kvDim, blockTokens: blockTokens,
		blockFloats: blockFloats,
		free:        make([]int, n),
	}
	p.data, _ = kernels.AllocFloats(p, n*blockFloats)
	for i := range p.free {
		p.free[i] = n - 1 - i // hand out low blocks first
	}
	return p
}

// BlockTokens is the number of tokens one block holds.
func (p *KVPool) BlockTokens() int { return p.blockTokens }

// TotalBlocks is the pool's size in blocks.
func (p *KVPool) TotalBlocks() int { return len(p.data) / p.blockFloats }

// FreeBlocks is the number of blocks not owned by any sequence.
func (p *KVPool) FreeBlocks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// BlockBytes is the size of one block in bytes.
func (p *KVPool) BlockBytes() int64 { return int64(p.blockFloats) * 4 }

// CapacityBytes is the size of the whole pool in bytes.
func (p *KVPool) CapacityBytes() int64 { return int64(len(p.data)) * 4 }

// UsedBytes is the size of the blocks owned by sequences.
func (p *KVPool) UsedBytes() int64 {
	return int64(p.TotalBlocks()-p.FreeBlocks()) * p.BlockBytes()
}

// K returns the keys of one block and layer: blockTokens·kvDim floats.
func (p *KVPool) K(block, layer int) []float32 {
	off := block*p.blockFloats + layer*2*p.blockTokens*p.kvDim
	return p.data[off : off+p.blockTokens*p.kvDim]
}

// V returns the values of one block and layer: blockTokens·kvDim floats.
func (p *KVPool) V(block, layer int) []float32 {
	off := block*p.blockFloats + (layer*2+1)*p.blockTokens*p.kvDim
	return p.data[off : off+p.blockTokens*p.kvDim]
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

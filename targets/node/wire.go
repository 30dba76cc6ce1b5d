//go:build !js

package node

// The wire types: the JSON lines exchanged with harness.js, one request
// at a time (the protocol is described at the top of harness.js).

// The messages, each a JSON object on one line.
type (
	tensorMsg struct {
		Name   string  `json:"name"`
		Shape  []int64 `json:"shape"`
		DType  string  `json:"dtype"`
		Offset uint32  `json:"offset"`
		Bytes  int64   `json:"bytes"`
		Input  bool    `json:"input"`
		File   string  `json:"file"`
	}
	request struct {
		ID            int         `json:"id"`
		Op            string      `json:"op"`
		Key           string      `json:"key"`
		Tensors       []tensorMsg `json:"tensors,omitempty"`
		ScratchOffset uint32      `json:"scratch_offset,omitempty"`
		Atol          float64     `json:"atol,omitempty"`
		Rtol          float64     `json:"rtol,omitempty"`
		Poison        uint32      `json:"poison,omitempty"`
	}
	measureReq struct {
		ID           int     `json:"id"`
		Op           string  `json:"op"`
		Key          string  `json:"key"`
		Wasm         []byte  `json:"wasm"` // base64 in JSON
		MinPages     uint32  `json:"min_pages"`
		MaxPages     uint32  `json:"max_pages"`
		ImportMax    uint32  `json:"import_max"`
		HasImportMax bool    `json:"has_import_max"`
		Warmup       int     `json:"warmup"`
		WarmupTime   float64 `json:"warmup_time"`
		Repeats      int     `json:"repeats"`
		MinTime      float64 `json:"min_time"`
		MaxRepeats   int     `json:"max_repeats"`
		Cutoff       float64 `json:"cutoff,omitempty"`
	}
	reply struct {
		ID      int     `json:"id"`
		Event   string  `json:"event"`
		Seconds float64 `json:"seconds"`
		OK      bool    `json:"ok"`
		Error   string  `json:"error"`
		Result  *struct {
			Err   string    `json:"err"`
			Msg   string    `json:"msg"`
			Times []float64 `json:"times"`
		} `json:"result"`
		Node string `json:"node"`
		V8   string `json:"v8"`
	}
)

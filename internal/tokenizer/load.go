package tokenizer

// Load returns the tokenizer a configuration names: "gpt2" for GPT2, else
// the path of a Hugging Face tokenizer.json for LoadHF.
func Load(name string) (*BPE, error) {
	if name == "gpt2" {
		return GPT2()
	}
	return LoadHF(name)
}

package geo

// Model names a path-loss model.
type Model string

// Path-loss models. See ../shared/docs/rf-reference.md for formulas and check values.
const (
	ModelFreeSpace Model = "fspl"     // ITU-R P.525
	ModelHata      Model = "hata"     // Okumura-Hata, 150-1500 MHz
	ModelCOST231   Model = "cost231"  // COST-231 Hata, 1500-2000 MHz
	ModelExtHata   Model = "ext-hata" // Extended Hata, ITU-R SM.2028, 30-3000 MHz
)

// Env is the propagation environment of the receiver.
type Env string

// Environments.
const (
	EnvUrban    Env = "urban"
	EnvSuburban Env = "suburban"
	EnvOpen     Env = "open"
)

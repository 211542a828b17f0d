//! Serde structs mirroring the YAML ("lowargs"); the only user of the YAML crate.

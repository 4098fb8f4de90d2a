"""The platform bridge: presence from the metaverse platform, signed and applied exactly once."""

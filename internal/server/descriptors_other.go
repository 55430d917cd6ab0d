//go:build !unix

package server

// checkDescriptorHeadroom cannot count descriptors on this platform.
func checkDescriptorHeadroom() error { return nil }

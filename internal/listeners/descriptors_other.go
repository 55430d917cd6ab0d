//go:build !unix

package listeners

// checkDescriptorHeadroom cannot count descriptors on this platform.
func checkDescriptorHeadroom() error { return nil }

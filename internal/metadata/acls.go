package metadata

// ACL is one access-control binding as Kafka defines it (KIP-290 pattern
// types): a resource pattern and an access-control entry. The numeric
// fields hold Kafka's wire codes (internal/acl names them), so a binding
// round-trips through CreateAcls/DescribeAcls unchanged.
type ACL struct {
	ResourceType int8   `json:"resource_type"`
	ResourceName string `json:"resource_name"`
	PatternType  int8   `json:"pattern_type"`
	Principal    string `json:"principal"`
	Host         string `json:"host"`
	Operation    int8   `json:"operation"`
	Permission   int8   `json:"permission"`
}

// HasACL reports whether the image holds exactly this binding.
func (im *Image) HasACL(a ACL) bool {
	for _, b := range im.ACLs {
		if b == a {
			return true
		}
	}
	return false
}

// Package security holds the broker's authentication building blocks,
// independent of the network loop that drives them: TLS configurations
// from Kafka's ssl.* settings (PEM key and trust stores), the principal of
// a client certificate (its subject DN in RFC 2253 form, through
// ssl.principal.mapping.rules), Kafka's JAAS option syntax, and SASL
// server sessions for PLAIN and SCRAM-SHA-256/512 (RFC 4616, RFC 5802,
// as Kafka implements them: no SASLprep, user names escaped =2C/=3D).
//
// Principals are Kafka's "Type:name" strings; an unauthenticated
// connection is AnonymousPrincipal.
package security

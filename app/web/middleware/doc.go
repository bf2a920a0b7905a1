// Package middleware holds Micboard's Echo middleware, one concern per file,
// each with its own test.
package middleware

// Package rawjson is what every stage needs to read a native JSON record: a key probe,
// provider time formats, a content id.
//
// Normalization, the Sigma engine and the store all look at the same raw bytes; keeping
// these readers in one neutral package means each reads a record the same way without
// importing the others.
package rawjson

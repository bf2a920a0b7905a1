package cache

import (
	"reflect"
	"sync"
)

// clone returns a deep copy of v: every pointer, slice and map reachable
// through exported fields is copied, so a caller may change what the
// in-memory cache gave it without changing what the next caller gets.
// Unexported fields are copied as they are (time.Time's location is
// shared, as it is immutable). It is far cheaper than a decoding round trip.
func clone[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	if !needsDeep(rv.Type()) {
		return v
	}
	var out T
	copyInto(reflect.ValueOf(&out).Elem(), rv)
	return out
}

var deepTypes sync.Map // reflect.Type → bool

// needsDeep reports whether values of t hold references a copy must
// follow.
func needsDeep(t reflect.Type) bool {
	if v, ok := deepTypes.Load(t); ok {
		return v.(bool)
	}
	deepTypes.Store(t, true) // a recursive type (Receiver → Channel → Receiver) is deep
	deep := false
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		deep = true
	case reflect.Array:
		deep = needsDeep(t.Elem())
	case reflect.Struct:
		deep = len(deepFields(t)) > 0
	}
	deepTypes.Store(t, deep)
	return deep
}

var fieldPlans sync.Map // reflect.Type → []int

// deepFields lists the exported fields of struct type t that need a deep
// copy.
func deepFields(t reflect.Type) []int {
	if v, ok := fieldPlans.Load(t); ok {
		return v.([]int)
	}
	fieldPlans.Store(t, []int(nil)) // break cycles while planning
	var idx []int
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			idx = append(idx, i)
		case reflect.Struct, reflect.Array:
			if needsDeep(f.Type) {
				idx = append(idx, i)
			}
		}
	}
	fieldPlans.Store(t, idx)
	return idx
}

// copyInto writes a deep copy of src into dst, which is settable and of
// the same type, allocating as little as it can: the structs a slice of
// pointers points at come from one array.
func copyInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		n := reflect.New(src.Type().Elem())
		copyInto(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Struct:
		dst.Set(src)
		for _, i := range deepFields(src.Type()) {
			copyInto(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		et := src.Type().Elem()
		switch {
		case !needsDeep(et):
			reflect.Copy(n, src)
		case et.Kind() == reflect.Pointer && et.Elem().Kind() == reflect.Struct:
			back := reflect.MakeSlice(reflect.SliceOf(et.Elem()), src.Len(), src.Len())
			for i := range src.Len() {
				if e := src.Index(i); !e.IsNil() {
					b := back.Index(i)
					copyInto(b, e.Elem())
					n.Index(i).Set(b.Addr())
				}
			}
		default:
			for i := range src.Len() {
				copyInto(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		n := reflect.MakeMapWithSize(src.Type(), src.Len())
		kt, vt := src.Type().Key(), src.Type().Elem()
		iter := src.MapRange()
		for iter.Next() {
			k, v := reflect.New(kt).Elem(), reflect.New(vt).Elem()
			copyInto(k, iter.Key())
			copyInto(v, iter.Value())
			n.SetMapIndex(k, v)
		}
		dst.Set(n)
	case reflect.Array:
		for i := range src.Len() {
			copyInto(dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src)
	}
}

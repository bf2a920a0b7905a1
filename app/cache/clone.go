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
	reflect.ValueOf(&out).Elem().Set(deepCopy(rv))
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

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if !needsDeep(v.Type().Elem()) {
			reflect.Copy(n, v)
			return n
		}
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			n.SetMapIndex(deepCopy(iter.Key()), deepCopy(iter.Value()))
		}
		return n
	case reflect.Struct:
		fields := deepFields(v.Type())
		if len(fields) == 0 {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for _, i := range fields {
			n.Field(i).Set(deepCopy(v.Field(i)))
		}
		return n
	case reflect.Array:
		n := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	}
	return v
}

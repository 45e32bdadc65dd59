package dev.finetune.jobs;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Measures memory the honest way for a test: walks every object reachable from the roots (fields by
 * reflection through this project's classes, elements of arrays, collections, maps and optionals) and
 * adds up the primitive arrays it finds, each once, at its real length: the buffers really allocated,
 * whatever the estimate thinks they should be. Same per-array layout as {@link Footprint#array}.
 */
final class Retained {
    private Retained() {
    }

    static long bytes(Object... roots) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        for (Object r : roots) {
            if (r != null) {
                todo.push(r);
            }
        }
        long total = 0;
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (!seen.add(o)) {
                continue;
            }
            Class<?> c = o.getClass();
            if (c.isArray()) {
                Class<?> e = c.getComponentType();
                int n = Array.getLength(o);
                if (e.isPrimitive()) {
                    int size = e == long.class || e == double.class ? 8 : e == int.class || e == float.class ? 4
                            : e == short.class || e == char.class ? 2 : 1;
                    total += Footprint.array(size, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        Object x = Array.get(o, i);
                        if (x != null) {
                            todo.push(x);
                        }
                    }
                }
                continue;
            }
            if (o instanceof Collection<?> col) {
                col.forEach(x -> {
                    if (x != null) {
                        todo.push(x);
                    }
                });
                continue;
            }
            if (o instanceof Map<?, ?> m) {
                m.forEach((k, v) -> {
                    if (k != null) {
                        todo.push(k);
                    }
                    if (v != null) {
                        todo.push(v);
                    }
                });
                continue;
            }
            if (o instanceof Optional<?> op) {
                op.ifPresent(todo::push);
                continue;
            }
            if (!c.getName().startsWith("dev.finetune.") || o instanceof Enum<?>) {
                continue; // JDK internals (strings, thread locals, locks): not the trainer's buffers
            }
            for (Class<?> k = c; k != null && k.getName().startsWith("dev.finetune."); k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        Object v = f.get(o);
                        if (v != null) {
                            todo.push(v);
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        throw new IllegalStateException("cannot read " + f, e);
                    }
                }
            }
        }
        return total;
    }
}

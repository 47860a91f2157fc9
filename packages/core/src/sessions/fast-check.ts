import { z } from 'zod';

/**
 * A predicate that says "this value already is exactly what `schema.parse` would return": every
 * field present and well-typed, no default to fill, no unknown key to strip. When it says yes the
 * value can be used as is; when it says no, run zod, which fills defaults or explains the error.
 *
 * Why: zod 3 needs ~50-80 ms to validate 500 session snapshots in a fresh process (its code is
 * not yet optimised by the JIT), which alone would break `ao status`'s budget. This walk costs a
 * few ms. It is built from the schema itself, so it cannot drift from it: a zod type it does not
 * know makes it answer "no" and zod decides.
 *
 * It reads zod 3's `_def` (typeName, checks, unknownKeys, catchall): zod 3 has no public way to
 * ask a schema those. Measured for 500 snapshots in a fresh process (2-core box under load,
 * Dec 2026): zod 3 `safeParse` 27-32 ms, this walk 4-10 ms including compiling it; zod 4
 * (`zod/v4`, shipped in the same package, no internals needed) parses them in ~9 ms, but loading it
 * made the whole process ~20 ms slower than zod 3 with this walk (102 vs 83 ms). So it stays until
 * the session schemas move to zod 4 for other reasons; then this file can go.
 */
export type FastCheck = (value: unknown) => boolean;

export function compileFastCheck(schema: z.ZodTypeAny): FastCheck {
  const def = schema._def as { typeName?: string };
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodString:
      return plain(schema) ? (value) => typeof value === 'string' : never;
    case z.ZodFirstPartyTypeKind.ZodNumber:
      return plain(schema) ? (value) => typeof value === 'number' && Number.isFinite(value) : never;
    case z.ZodFirstPartyTypeKind.ZodBoolean:
      return (value) => typeof value === 'boolean';
    case z.ZodFirstPartyTypeKind.ZodNull:
      return (value) => value === null;
    case z.ZodFirstPartyTypeKind.ZodUnknown:
    case z.ZodFirstPartyTypeKind.ZodAny:
      return (value) => value !== undefined;
    case z.ZodFirstPartyTypeKind.ZodEnum: {
      const options = new Set<unknown>((schema as z.ZodEnum<[string, ...string[]]>).options);
      return (value) => options.has(value);
    }
    case z.ZodFirstPartyTypeKind.ZodNullable: {
      const inner = compileFastCheck((schema as z.ZodNullable<z.ZodTypeAny>).unwrap());
      return (value) => value === null || inner(value);
    }
    case z.ZodFirstPartyTypeKind.ZodDefault: {
      // A missing value needs zod to fill the default; a present one must match the inner type.
      const inner = compileFastCheck((schema as z.ZodDefault<z.ZodTypeAny>).removeDefault());
      return (value) => value !== undefined && inner(value);
    }
    case z.ZodFirstPartyTypeKind.ZodUnion: {
      const options = (schema as z.ZodUnion<[z.ZodTypeAny, ...z.ZodTypeAny[]]>).options.map(compileFastCheck);
      return (value) => options.some((check) => check(value));
    }
    case z.ZodFirstPartyTypeKind.ZodRecord: {
      const record = schema as z.ZodRecord<z.ZodString, z.ZodTypeAny>;
      if (record.keySchema._def.typeName !== z.ZodFirstPartyTypeKind.ZodString || !plain(record.keySchema)) return never;
      const values = compileFastCheck(record.valueSchema);
      return (value) => isRecord(value) && Object.values(value).every(values);
    }
    case z.ZodFirstPartyTypeKind.ZodObject: {
      const object = schema as z.AnyZodObject;
      // Only the default "strip" mode with no catchall: then valid means "known keys only".
      if (object._def.unknownKeys !== 'strip' || object._def.catchall._def.typeName !== z.ZodFirstPartyTypeKind.ZodNever) {
        return never;
      }
      const fields = Object.entries(object.shape as Record<string, z.ZodTypeAny>).map(([key, field]) => {
        const optional = field._def.typeName === z.ZodFirstPartyTypeKind.ZodOptional;
        const check = compileFastCheck(optional ? (field as z.ZodOptional<z.ZodTypeAny>).unwrap() : field);
        return { key, optional, check };
      });
      const known = new Set(fields.map((field) => field.key));
      return (value) => {
        if (!isRecord(value)) return false;
        for (const key in value) if (!known.has(key)) return false;
        for (const { key, optional, check } of fields) {
          const field = value[key];
          if (field === undefined ? !optional : !check(field)) return false;
        }
        return true;
      };
    }
    default:
      return never;
  }
}

const never: FastCheck = () => false;

/** No refinements (`.min`, `.regex`, …): those checks only zod knows how to run. */
function plain(schema: z.ZodTypeAny): boolean {
  return ((schema._def as { checks?: unknown[] }).checks ?? []).length === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

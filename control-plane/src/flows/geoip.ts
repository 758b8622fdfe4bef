import { readFileSync } from 'node:fs';
import { Reader, type AsnResponse, type CountryResponse, type Response } from 'mmdb-lib';

/** What the GeoIP enrichment found about an address: ISO country code and AS number, or ''/0. */
export interface GeoFacts {
  country: string;
  asn: number;
}

/** The state of one configured database, shown to operators (`GET /api/v1/flows/dimensions`). */
export interface GeoDatabaseStatus {
  kind: 'country' | 'asn';
  path: string;
  /** `ok`, or why the database is not used (unreadable, not a MaxMind DB). */
  status: 'ok' | 'error';
  error?: string;
  databaseType?: string;
  buildEpoch?: number;
}

const NONE: GeoFacts = Object.freeze({ country: '', asn: 0 });

/**
 * Operator-supplied MaxMind-format databases (the MaxMind DB File Format Specification 2.0,
 * https://maxmind.github.io/MaxMind-DB/), read with `mmdb-lib`: the country of an address from a
 * country database, its origin AS from an ASN database. A database that cannot be opened is
 * reported (status `error` with the reason, and logged) and enrichment goes on without it.
 */
export class GeoIp {
  private readonly country: Reader<CountryResponse> | undefined;
  private readonly asn: Reader<AsnResponse> | undefined;
  readonly status: GeoDatabaseStatus[] = [];

  constructor(paths: { database?: string | undefined; asnDatabase?: string | undefined } | undefined) {
    this.country = paths?.database ? this.open<CountryResponse>('country', paths.database) : undefined;
    this.asn = paths?.asnDatabase ? this.open<AsnResponse>('asn', paths.asnDatabase) : undefined;
  }

  get enabled(): boolean {
    return this.country !== undefined || this.asn !== undefined;
  }

  /** Country and AS of an address (text); ''/0 for what the databases do not hold. */
  lookup(address: string): GeoFacts {
    if (address === '') return NONE;
    let country = '';
    let asn = 0;
    try {
      if (this.country) {
        const r = this.country.get(address);
        country = r?.country?.iso_code ?? r?.registered_country?.iso_code ?? '';
      }
      if (this.asn) asn = this.asn.get(address)?.autonomous_system_number ?? 0;
    } catch {
      // An address the reader refuses (an IPv6 address against an IPv4-only database): no facts.
      return NONE;
    }
    if (!/^[A-Z]{2}$/.test(country)) country = '';
    if (!Number.isInteger(asn) || asn < 0 || asn > 4_294_967_295) asn = 0;
    return { country, asn };
  }

  private open<T extends Response>(kind: 'country' | 'asn', path: string): Reader<T> | undefined {
    try {
      const reader = new Reader<T>(readFileSync(path));
      this.status.push({
        kind,
        path,
        status: 'ok',
        databaseType: reader.metadata.databaseType,
        buildEpoch: reader.metadata.buildEpoch.getTime(),
      });
      return reader;
    } catch (err) {
      this.status.push({ kind, path, status: 'error', error: (err as Error).message });
      return undefined;
    }
  }
}

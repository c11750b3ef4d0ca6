/**
 * One S3-compatible bucket (MinIO, Ceph RGW, AWS…) from the S3_* settings:
 * the files domain keeps uploads there and the recorder its finished
 * recordings, read once by the server and handed to both.
 */
export interface S3Options {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Default us-east-1 (most S3-compatible servers ignore it). */
  region?: string;
  /** Path-style URLs (http://host/bucket/key), as MinIO and most on-premises servers want. Default true. */
  forcePathStyle?: boolean;
  /** The multipart part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
}

/** S3 options from S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (S3_REGION, S3_FORCE_PATH_STYLE), or undefined without them. */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Options | undefined {
  const { S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION, S3_FORCE_PATH_STYLE } = env;
  const given = [S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY].filter((v) => v !== undefined && v !== '');
  if (given.length === 0) return undefined;
  if (given.length < 4) throw new Error('S3 storage needs all of S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  return {
    endpoint: S3_ENDPOINT!,
    bucket: S3_BUCKET!,
    accessKeyId: S3_ACCESS_KEY_ID!,
    secretAccessKey: S3_SECRET_ACCESS_KEY!,
    region: S3_REGION || undefined,
    forcePathStyle: S3_FORCE_PATH_STYLE === undefined || S3_FORCE_PATH_STYLE === '' ? undefined : !/^(0|false|no)$/i.test(S3_FORCE_PATH_STYLE),
  };
}

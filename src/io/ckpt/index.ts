/**
 * Reading the official trainer's PyTorch Lightning `.ckpt` files: a bounded
 * zip reader (zip.ts), a restricted unpickler that builds only data and
 * tensors (pickle.ts), the torch.save layout (torch.ts) and the Lightning
 * checkpoint's interpretation (lightning.ts). Browser-safe.
 */
export { CkptError, DEFAULT_CKPT_LIMITS, type CkptErrorCode, type CkptLimits } from './errors.ts';
export { bytesSource, type ByteSource } from './zip.ts';
export { readLightningCkpt, type CkptProgress, type LightningCheckpoint, type LightningInfo, type ReadCkptOptions } from './lightning.ts';
export { blobSource, canReadBlobsSync, readLightningBlob, type BlobSourceOptions } from './blobSource.ts';

/** Whether bytes start like a zip archive (`PK\x03\x04`): a `.ckpt` written by torch.save. */
export function looksLikeCkpt(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

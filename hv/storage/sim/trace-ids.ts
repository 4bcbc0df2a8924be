/**
 * Numbers for what a trace names: image files and VMs get small ids in the order they first
 * appear, and (image id, block) pairs get block keys from one KeySpace. The two passes of a
 * simulation with MIN (one to learn the future, one to replay) share one TraceIds, so both see the
 * same keys.
 */
import { KeySpace } from '../cache/key-space.ts';

export class TraceIds {
  readonly keys = new KeySpace();
  private readonly images = new Map<string, number>();
  private readonly vms = new Map<string, number>();

  image(name: string): number {
    return idOf(this.images, name);
  }

  vm(name: string): number {
    return idOf(this.vms, name);
  }

  get imageCount(): number {
    return this.images.size;
  }

  get vmCount(): number {
    return this.vms.size;
  }
}

function idOf(ids: Map<string, number>, name: string): number {
  let id = ids.get(name);
  if (id === undefined) ids.set(name, (id = ids.size));
  return id;
}

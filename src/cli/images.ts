/**
 * `skiff images`: the node's image store, used without a running server (like `ctr images` on
 * containerd's store): `import FILE...` (OCI layout or docker-archive tarballs), `ls`, `pull REF`, `rm REF`.
 */
import { Command, Option } from 'commander';
import { ImageStore } from '../agent/runtime/images/image-store.ts';
import { dataPaths, defaultDataDir } from '../server/paths.ts';

function store(dataDir: string): ImageStore {
  return new ImageStore(dataPaths(dataDir).images);
}

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
}

/** Builds the `images` command tree. */
export function imagesCommand(): Command {
  const images = new Command('images').description("manage the node's image store");
  const dataDirOption = () => new Option('--data-dir <dir>', 'Skiff data dir').env('SKIFF_DATA_DIR').default(defaultDataDir());

  images
    .command('import')
    .description('import OCI-layout or docker-archive tarballs')
    .argument('<file...>')
    .addOption(dataDirOption())
    .action(async (files: string[], opts) => {
      const s = store(opts.dataDir);
      for (const f of files) {
        const imported = await s.importImage(f);
        for (const img of imported) process.stdout.write(`imported ${img.repoTags.join(', ') || img.id} (${img.id.slice(0, 19)})\n`);
      }
    });

  images
    .command('ls')
    .description('list images')
    .addOption(dataDirOption())
    .action(async (opts) => {
      const list = await store(opts.dataDir).listImages();
      process.stdout.write(`${'IMAGE'.padEnd(48)} ${'IMAGE ID'.padEnd(15)} SIZE\n`);
      for (const img of list) {
        for (const tag of img.repoTags.length ? img.repoTags : ['<none>']) {
          process.stdout.write(`${tag.padEnd(48)} ${img.id.slice(7, 20).padEnd(15)} ${humanSize(img.size)}\n`);
        }
      }
    });

  images
    .command('pull')
    .description('pull an image from a registry')
    .argument('<image>')
    .addOption(dataDirOption())
    .action(async (ref: string, opts) => {
      const id = await store(opts.dataDir).pullImage(ref);
      process.stdout.write(`${ref}: ${id}\n`);
    });

  images
    .command('rm')
    .description('remove an image reference')
    .argument('<image...>')
    .addOption(dataDirOption())
    .action(async (refs: string[], opts) => {
      const s = store(opts.dataDir);
      for (const r of refs) {
        await s.removeImage(r);
        process.stdout.write(`deleted ${r}\n`);
      }
    });
  return images;
}

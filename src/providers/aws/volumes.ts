/** EBS volumes: the plan's `storage` as block device mappings, and the combinations EC2 refuses, found up front. */
import type {Volume} from './sdk.js'

const IOPS_TYPES = ['io1', 'io2', 'gp3']

/** What is wrong with the volumes (iops only for io1/io2/gp3, throughput only for gp3, io1/io2 need iops). */
export function volumeProblems(storage: Volume[] = []): string[] {
  const out: string[] = []
  storage.forEach((v, i) => {
    const type = v.type ?? 'gp3'
    const at = `storage[${i}] (${type})`
    if (v.iops !== undefined && !IOPS_TYPES.includes(type)) out.push(`${at}: \`iops\` is only for ${IOPS_TYPES.join(', ')} volumes`)
    if (v.throughput !== undefined && type !== 'gp3') out.push(`${at}: \`throughput\` is only for gp3 volumes`)
    if ((type === 'io1' || type === 'io2') && v.iops === undefined) out.push(`${at}: ${type} volumes need \`iops\``)
  })
  return out
}

/** The mappings: the first volume without a device is the image's root device; the others /dev/xvdb, /dev/xvdc, ... */
export function blockDevices(storage: Volume[] = [], rootDevice = '/dev/xvda') {
  return storage.map((v, i) => ({
    DeviceName: v.device ?? (i === 0 ? rootDevice : `/dev/xvd${String.fromCharCode(97 + i)}`),
    Ebs: {
      VolumeSize: Number(v.size.replace(/G$/, '')),
      VolumeType: (v.type ?? 'gp3') as never,
      DeleteOnTermination: true,
      ...(v.iops !== undefined ? {Iops: v.iops} : {}),
      ...(v.throughput !== undefined ? {Throughput: v.throughput} : {}),
      ...(v.encrypted !== undefined ? {Encrypted: v.encrypted} : {}),
    },
  }))
}

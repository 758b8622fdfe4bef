import { str } from '@lit/localize';

/** Charts: units, toolbox, series and captions of the host and link charts. */
export const templates = {
  'charts.unit.perSecond': str`${0} 次/秒`,
  'charts.toolbox.zoom': '框选缩放',
  'charts.toolbox.back': '撤销缩放',
  'charts.toolbox.restore': '还原',
  'charts.toolbox.saveAsImage': '保存为图片',
  'charts.empty': '该时间范围内没有采样数据。',
  'charts.host.cpu.title': 'CPU 使用率',
  'charts.host.cpu.series': 'CPU 使用率',
  'charts.host.memory.title': '内存与磁盘',
  'charts.host.memory.used': '内存使用率',
  'charts.host.disk.used': '磁盘使用率',
  'charts.host.load.title': '负载（1 分钟平均）',
  'charts.host.load.series': '负载',
  'charts.host.network.title': '网络',
  'charts.host.network.rx': '接收',
  'charts.host.network.tx': '发送',
  'charts.link.utilisation.title': '利用率（占端口速率百分比）',
  'charts.link.bits.title': '速率',
  'charts.link.errors.title': '错包',
  'charts.link.errors.series': '错包',
  'charts.link.in': '入向',
  'charts.link.out': '出向',
} as const;

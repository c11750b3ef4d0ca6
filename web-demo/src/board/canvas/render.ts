import { FabricImage, Group, IText, Path, Polygon, Polyline, Rect, Ellipse, Textbox, FabricText, type FabricObject } from 'fabric';
import type { BoardObject, TacticalKind } from '@muster/whiteboard/client';
import { symbolArt } from './symbolArt.ts';

type Pt = { x: number; y: number };

export function pairs(points: number[]): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) out.push({ x: points[i]!, y: points[i + 1]! });
  return out;
}

/** Shifts absolute points so their box is centred on (0, 0): objects are positioned by their centre (fabric's origin). */
export function centre(points: Pt[]): { x: number; y: number; points: number[] } {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  return { x: round(cx), y: round(cy), points: points.flatMap((p) => [round(p.x - cx), round(p.y - cy)]) };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Freehand points as a smooth path: quadratic curves through the midpoints, as fabric's pencil draws. */
function smoothPath(points: Pt[]): string {
  if (points.length === 0) return 'M 0 0';
  if (points.length < 3) return `M ${points[0]!.x} ${points[0]!.y} ` + points.slice(1).map((p) => `L ${p.x} ${p.y}`).join(' ');
  let d = `M ${points[0]!.x} ${points[0]!.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const n = points[i + 1]!;
    d += ` Q ${p.x} ${p.y} ${(p.x + n.x) / 2} ${(p.y + n.y) / 2}`;
  }
  const last = points[points.length - 1]!;
  return `${d} L ${last.x} ${last.y}`;
}

function arrowHead(from: Pt, to: Pt, size: number): string {
  const angle = Math.atan2(to.y - from.y, to.x - from.x);
  const a1 = angle + Math.PI * 0.85;
  const a2 = angle - Math.PI * 0.85;
  return `M ${to.x + size * Math.cos(a1)} ${to.y + size * Math.sin(a1)} L ${to.x} ${to.y} L ${to.x + size * Math.cos(a2)} ${to.y + size * Math.sin(a2)}`;
}

function polylinePath(points: Pt[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
}

const TACTICAL_STYLE: Record<TacticalKind, { dash?: number[]; closed: boolean; arrow: boolean; prefix: string }> = {
  'axis-of-advance': { closed: false, arrow: true, prefix: '' },
  'phase-line': { closed: false, arrow: false, prefix: 'PL ' },
  boundary: { dash: [18, 6, 4, 6], closed: false, arrow: false, prefix: '' },
  objective: { closed: true, arrow: false, prefix: 'OBJ ' },
  route: { dash: [12, 8], closed: false, arrow: true, prefix: 'RTE ' },
};

/**
 * The canvas object for a board object. Everything is positioned by its
 * centre (x, y), the origin fabric 7 uses, so rotation and scaling need no
 * conversion in either direction.
 */
export function toFabric(o: BoardObject): FabricObject {
  const stroke = o.stroke ?? '#1d2733';
  const strokeWidth = o.strokeWidth ?? 3;
  const base = {
    left: o.x,
    top: o.y,
    angle: o.angle ?? 0,
    scaleX: o.scaleX ?? 1,
    scaleY: o.scaleY ?? 1,
    opacity: o.opacity ?? 1,
    originX: 'center' as const,
    originY: 'center' as const,
    strokeUniform: true,
  };
  const points = 'points' in o ? pairs(o.points) : [];
  switch (o.type) {
    case 'path':
      return new Path(smoothPath(points), { ...base, stroke, strokeWidth: o.highlighter ? Math.max(strokeWidth, 14) : strokeWidth, fill: '', strokeLineCap: 'round', strokeLineJoin: 'round', opacity: o.highlighter ? Math.min(base.opacity, 0.35) : base.opacity });
    case 'line':
      return new Polyline(points, { ...base, stroke, strokeWidth, fill: '', strokeLineCap: 'round' });
    case 'arrow': {
      const from = points[0] ?? { x: 0, y: 0 };
      const to = points[points.length - 1] ?? from;
      return new Path(`${polylinePath(points)} ${arrowHead(from, to, 8 + strokeWidth * 3)}`, { ...base, stroke, strokeWidth, fill: '', strokeLineCap: 'round', strokeLineJoin: 'round' });
    }
    case 'rect':
      return new Rect({ ...base, width: o.w, height: o.h, stroke, strokeWidth, fill: o.fill ?? 'transparent' });
    case 'ellipse':
      return new Ellipse({ ...base, rx: Math.abs(o.w) / 2, ry: Math.abs(o.h) / 2, stroke, strokeWidth, fill: o.fill ?? 'transparent' });
    case 'polygon':
      return new Polygon(points, { ...base, stroke, strokeWidth, fill: o.fill ?? 'transparent', strokeLineJoin: 'round' });
    case 'text':
      return new IText(o.text, { ...base, fontSize: o.fontSize ?? 24, fill: o.fill ?? stroke, fontFamily: 'system-ui, sans-serif' });
    case 'note':
      return new Textbox(o.text, { ...base, width: o.w, fontSize: 16, fill: '#1d2733', backgroundColor: o.fill ?? '#fff59d', padding: 10, fontFamily: 'system-ui, sans-serif', splitByGrapheme: false });
    case 'symbol': {
      const art = symbolArt(o.sidc, o.modifiers, o.size ?? undefined);
      return new FabricImage(art.image, { ...base, width: art.width, height: art.height });
    }
    case 'tactical': {
      const style = TACTICAL_STYLE[o.kind];
      const width = Math.max(strokeWidth, 3);
      let d = polylinePath(points) + (style.closed ? ' Z' : '');
      if (style.arrow && points.length >= 2) d += ` ${arrowHead(points[points.length - 2]!, points[points.length - 1]!, 10 + width * 3)}`;
      const line = new Path(d, { stroke, strokeWidth: width, fill: style.closed ? 'rgba(0,0,0,0)' : '', strokeDashArray: style.dash, strokeLineJoin: 'round', strokeLineCap: 'round', originX: 'center', originY: 'center', strokeUniform: true });
      const children: FabricObject[] = [line];
      const label = `${style.prefix}${o.label ?? ''}`.trim();
      if (label) {
        // Label at the start of a line, in the middle of an area; in the path's own (centred) frame.
        const at = style.closed ? line.pathOffset : points[0] ?? { x: 0, y: 0 };
        children.push(new FabricText(label, { left: at.x - line.pathOffset.x, top: at.y - line.pathOffset.y - (style.closed ? 0 : 16), fontSize: 16, fill: stroke, fontWeight: 'bold', fontFamily: 'system-ui, sans-serif', originX: 'center', originY: 'center' }));
      }
      const group = new Group(children, { subTargetCheck: false, interactive: false });
      // The group's own box includes the label; place that box's centre at (x, y).
      group.set({ left: o.x, top: o.y, angle: base.angle, scaleX: base.scaleX, scaleY: base.scaleY, opacity: base.opacity, originX: 'center', originY: 'center' });
      group.setCoords();
      return group;
    }
  }
}

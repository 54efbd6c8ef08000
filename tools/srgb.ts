// sRGB transfer function (IEC 61966-2-1) for the fixture tools: blending and relighting are done in linear light.
export const toLinear = (v: number): number => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
export const toSrgb = (lin: number): number => Math.round(255 * (lin <= 0.0031308 ? 12.92 * lin : 1.055 * lin ** (1 / 2.4) - 0.055));

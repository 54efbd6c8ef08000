// A synthetic portrait (drawn, not a person): light-blue background, head and shoulders,
// sized like the 35x45 crop the vision step produces. Used by tests, the bench and docs/board.png.
import sharp from 'sharp';

export async function syntheticPortrait(width = 827, height = 1063): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 350 450">
  <rect width="350" height="450" fill="#c9dcec"/>
  <path d="M20 450 C 30 360, 110 330, 175 330 C 240 330, 320 360, 330 450 Z" fill="#34495e"/>
  <rect x="150" y="280" width="50" height="60" fill="#e0b49a"/>
  <ellipse cx="175" cy="190" rx="78" ry="104" fill="#eac2a6"/>
  <path d="M97 170 C 100 90, 150 70, 178 72 C 215 72, 255 95, 253 170 C 240 125, 210 110, 175 112 C 140 112, 110 125, 97 170 Z" fill="#4a3426"/>
  <ellipse cx="145" cy="185" rx="10" ry="6" fill="#2d2d2d"/>
  <ellipse cx="205" cy="185" rx="10" ry="6" fill="#2d2d2d"/>
  <path d="M175 195 L 168 230 L 182 230" fill="none" stroke="#b98b72" stroke-width="3"/>
  <path d="M152 255 Q 175 262 198 255" fill="none" stroke="#9a5a4a" stroke-width="4"/>
</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

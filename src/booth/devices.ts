// Building the booth's devices from config (every one always present: a device the booth does not have is absent, src/hal/absent.ts): the only place drivers are created.
// Each device is real or simulated as config says (`hal.simulated`, `--sim`); a real driver
// on a machine without the hardware ends in an `absent`/`fault` state with the reason,
// rather than failing the whole booth. The simulators speak the devices' own protocols
// (GPIO lines, I2C registers, ccTalk bytes, camera frames), so the drivers are the same.
import type { Config } from '../config/schema.ts';
import { createCamera, type CameraDevice, type SimulatedCameraDevice } from '../hal/camera/index.ts';
import { createRealCamera } from '../hal/camera/real.ts';
import { createCardReader, type BoothCardReader } from '../hal/card-reader/index.ts';
import { createCoinAcceptor, type BoothCoinAcceptor } from '../hal/coin-acceptor/index.ts';
import { createCurtain, type CurtainDevice } from '../hal/curtain/index.ts';
import type { Device } from '../hal/device.ts';
import { boothBias, createGpioChip, SimGpioChip, type GpioChip } from '../hal/gpio/index.ts';
import { createI2cBus, SimI2cBus, type I2cBus } from '../hal/i2c/index.ts';
import { createLighting, Pca9685Model, type LightingDevice } from '../hal/lighting/index.ts';
import { createPrinter, type PrinterDevice } from '../hal/printer/index.ts';
import { createTouchPanel, Ft6236Model, type TouchPanelDevice } from '../hal/touch/index.ts';
import type { SimulatorHandles } from '../hal/simulators.ts';
import type { Logger } from '../log.ts';

export type { SimulatorHandles } from '../hal/simulators.ts';

export interface BoothDevices {
  /** Every device, in start order. */
  all: Device[];
  lighting: LightingDevice;
  curtain: CurtainDevice;
  touch: TouchPanelDevice;
  camera: CameraDevice;
  coinAcceptor: BoothCoinAcceptor;
  /** The contactless card reader (MDB); absent (src/hal/absent.ts) on a booth without one. */
  cardReader: BoothCardReader;
  printer: PrinterDevice;
  gpio: GpioChip;
  i2c: I2cBus;
  sim: SimulatorHandles | undefined;
  close(): Promise<void>;
}

export async function createDevices(config: Config, logger: Logger): Promise<BoothDevices> {
  const simulated = config.hal.simulated;
  const gpio = await createGpioChip(config.hal, { simulated, logger, bias: boothBias(config) });
  const i2c = await createI2cBus(config.hal, { simulated, logger });

  let touchModel: Ft6236Model | undefined;
  if (gpio instanceof SimGpioChip && i2c instanceof SimI2cBus) {
    // The simulated PCA9685 (lighting) and touch controller sit on the simulated bus.
    i2c.attach(config.lighting.pca9685Address, new Pca9685Model());
    // The simulated touch controller sits on the simulated bus and pulls the INT line.
    touchModel = new Ft6236Model();
    i2c.attach(config.touch.address, touchModel);
    const sim = gpio;
    // Open drain: the controller pulls INT low, or releases it to the overlay's pull-up.
    touchModel.connectInterrupt((level) => sim.setInput(config.touch.interruptLine, level === 0 ? 0 : null));
  }

  const lighting = createLighting(config.lighting, { gpio, i2c, logger });
  const curtain = createCurtain(config.curtain, { gpio, logger });
  const touch = createTouchPanel(config.touch, { i2c, gpio, logger });
  const camera = createCamera(config.camera, { simulated, logger, real: createRealCamera });
  const coinAcceptor = createCoinAcceptor(config.coinAcceptor, { simulated, logger });
  const printer = createPrinter(config.printer, { simulated, logger, dataDir: config.data.dir });
  const cardReader = createCardReader(config.cardReader, { simulated, logger });
  // The hopper (change) shares the acceptor's ccTalk bus: started after it, watched like any device.
  const all: Device[] = [lighting, curtain, touch, camera, coinAcceptor, ...(coinAcceptor.hopper ? [coinAcceptor.hopper] : []), cardReader, printer];

  const sim =
    gpio instanceof SimGpioChip && i2c instanceof SimI2cBus && touchModel && camera.simulated
      ? { gpio, i2c, touch: touchModel, camera: camera as SimulatedCameraDevice, coins: coinAcceptor.simulator, cards: cardReader.simulator }
      : undefined;

  return {
    all,
    lighting,
    curtain,
    touch,
    camera,
    coinAcceptor,
    cardReader,
    printer,
    gpio,
    i2c,
    sim,
    async close() {
      for (const device of [...all].reverse()) await device.stop().catch(() => undefined);
      await i2c.close().catch(() => undefined);
      await gpio.close().catch(() => undefined);
    },
  };
}

// The booth's configuration: one schema, which is also the documentation of every key
// (`cabine config keys` prints it). Every field has a default, so the simulated booth
// needs no file. Contract keys (DESIGN.md): booth.id, data.dir, payment.priceCents,
// fleet.url, printer.uri, camera.source, coinAcceptor.port, ui.port.
import { z } from 'zod';
import { catalogueSchema } from './products.ts';

/** Code alphabet of e-photo codes (no O, I, L, S): the operator prefix must use it too. */
const CODE_ALPHABET_RE = /^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}$/;

const seconds = (def: number, what: string) => z.number().int().positive().default(def).describe(what);

export const configSchema = z
  .object({
    booth: z
      .object({
        id: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" or "_" (MQTT-topic safe), at most 64')
          .default('SIM-0001')
          .describe('Booth identifier, unique in the fleet; used in MQTT topics and on the board'),
        operatorPrefix: z
          .string()
          .regex(CODE_ALPHABET_RE, '4 characters from 0-9 and A-Z without O, I, L, S')
          .default('9CAB')
          .describe('4-character operator prefix of every e-photo code (provisioned)'),
        name: z.string().max(80).default('Cabine').describe('Display name of the booth (screen, board)'),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        dir: z.string().min(1).default('./data').describe('Data directory: database, photos, boards, cache'),
        minFreeMb: z.number().int().min(1).default(200).describe('Below this free space the booth stops selling'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
      })
      .strict()
      .prefault({}),
    hal: z
      .object({
        simulated: z.boolean().default(false).describe('Run every device on its simulator (`start --sim` sets it)'),
        gpioChip: z
          .string()
          .default('auto')
          .describe('gpiochip label of the header lines ("auto": pinctrl-bcm2711/bcm2835/rp1 whichever exists)'),
        sysfsRoot: z.string().default('/sys').describe('Root of sysfs (tests point it at a fake tree)'),
        i2cBus: z.number().int().min(0).default(1).describe('I2C bus number (/dev/i2c-N)'),
      })
      .strict()
      .prefault({}),
    lighting: z
      .object({
        relayLine: z.number().int().min(0).max(57).default(17).describe('BCM line of the lighting relay (output)'),
        pca9685Address: z.number().int().min(0x03).max(0x77).default(0x40).describe('I2C address of the PCA9685'),
        pwmChannel: z.number().int().min(0).max(15).default(0).describe('PCA9685 channel driving the LED ring'),
        pwmFrequencyHz: z.number().int().min(24).max(1526).default(1000).describe('PWM frequency'),
        captureLevel: z.number().min(0).max(100).default(85).describe('Brightness during capture (%)'),
        idleLevel: z.number().min(0).max(100).default(20).describe('Brightness when idle (%)'),
        fadeMs: z.number().int().min(0).max(10000).default(300).describe('Fade duration between levels'),
      })
      .strict()
      .prefault({}),
    curtain: z
      .object({
        line: z.number().int().min(0).max(57).default(27).describe('BCM line of the curtain switch (input, pull-up)'),
        debounceMs: z.number().int().min(0).max(5000).default(80).describe('Debounce of the curtain switch'),
        closedLevel: z.union([z.literal(0), z.literal(1)]).default(0).describe('Line level when the curtain is drawn'),
      })
      .strict()
      .prefault({}),
    touch: z
      .object({
        address: z.number().int().min(0x03).max(0x77).default(0x38).describe('I2C address of the FT5x06/FT6236 controller'),
        interruptLine: z.number().int().min(0).max(57).default(22).describe('BCM line of the touch interrupt'),
        width: z.number().int().positive().default(800).describe('Panel width in controller units'),
        height: z.number().int().positive().default(480).describe('Panel height in controller units'),
        pollMs: z.number().int().min(5).max(1000).default(20).describe('Polling fallback period while signing, used when the interrupt line is quiet'),
        jitter: z.number().min(0).max(50).default(2).describe('Pen movements shorter than this (controller units) are jitter and dropped'),
        palmArea: z.number().int().min(0).max(15).default(0).describe('Reported touch area (0-15) from which a contact is a palm (0: rule off)'),
        palmWeight: z.number().int().min(0).max(255).default(0).describe('Reported touch weight (0-255) from which a contact is a palm (0: rule off)'),
      })
      .strict()
      .prefault({}),
    camera: z
      .object({
        driver: z.enum(['auto', 'libcamera', 'rpicam', 'sim']).default('auto').describe('Camera driver'),
        source: z.string().optional().describe('Folder of photos served by the simulated camera (default: bundled fixtures)'),
        previewFps: z.number().min(1).max(60).default(15).describe('Preview frame rate (frames of 640x480 RGB)'),
        stillWidth: z.number().int().min(640).max(9152).default(2592).describe('Still (full-resolution) width in pixels'),
        stillHeight: z.number().int().min(480).max(6944).default(1944).describe('Still (full-resolution) height in pixels'),
        jpegQuality: z.number().int().min(50).max(100).default(92).describe('JPEG quality of stills'),
      })
      .strict()
      .prefault({}),
    coinAcceptor: z
      .object({
        port: z.string().optional().describe('Serial device of the ccTalk bus (absent in --sim: built-in simulator)'),
        pollMs: z.number().int().min(50).max(1000).default(150).describe('Buffered-credit poll period'),
        hopper: z.boolean().default(false).describe('A ccTalk hopper (address 3) gives change'),
      })
      .strict()
      .prefault({}),
    cardReader: z
      .object({
        port: z.string().optional().describe('Serial device of the MDB-to-serial interface of a contactless MDB cashless reader (docs/payment.md); absent on a real booth = no card reader'),
        simulated: z.boolean().default(true).describe('In --sim without a port: run the built-in card reader simulator'),
        pollMs: z.number().int().min(25).max(1000).default(100).describe('MDB POLL period'),
        vendTimeoutSeconds: z.number().int().min(1).max(120).default(30).describe('Longest wait for a card authorisation before the vend is cancelled'),
        maxPriceCents: z.number().int().min(1).max(65534).default(10000).describe('Highest price announced to the reader (SETUP max/min prices)'),
      })
      .strict()
      .prefault({}),
    payment: z
      .object({
        priceCents: z.number().int().min(10).max(100000).default(800).describe('Price of one e-photo session, in cents (and of every product without its own price)'),
        storedCreditMinutes: z
          .number()
          .int()
          .min(0)
          .default(30)
          .describe('How long credit left by a customer who walked away stays usable by the next session'),
      })
      .strict()
      .prefault({}),
    products: catalogueSchema,
    printer: z
      .object({
        uri: z
          .string()
          .regex(/^ipps?:\/\//, 'an ipp:// or ipps:// URI')
          .optional()
          .describe('IPP URI of the printer (absent in --sim: simulated printer writing jobs to data.dir)'),
        jobTimeoutSeconds: seconds(120, 'How long a print job may take before it is considered failed'),
        pollSeconds: seconds(5, 'Printer state poll period (paper, jam, offline...)'),
        requestTimeoutSeconds: seconds(10, 'Timeout of one IPP request to the printer'),
        retries: z.number().int().min(0).max(10).default(2).describe('Retries of a printer status request after a network error'),
        printsPerSupply: z.number().int().min(1).max(100000).default(400).describe('Prints a full ribbon (or ink/toner supply) makes: turns the level the printer reports in percent into prints left'),
        lowPrintsWarning: z.number().int().min(0).max(10000).default(30).describe('Prints left at which the booth raises the printer.consumables-low alarm (0: off), before the printer runs out'),
        statusUrl: z
          .string()
          .regex(/^https:\/\/[^\s<>"]{1,200}$/, 'an https:// URL')
          .optional()
          .describe("Public URL of the operator's code status page (cabine collector's /status); when set, the board prints <statusUrl>/<code> so a customer can check the code"),
      })
      .strict()
      .prefault({}),
    session: z
      .object({
        maxRetakes: z.number().int().min(0).max(10).default(3).describe('Retakes allowed after a non-compliant photo'),
        captureTimeoutSeconds: seconds(120, 'Capture step timeout'),
        signatureTimeoutSeconds: seconds(120, 'Signature step timeout'),
        paymentTimeoutSeconds: seconds(180, 'Payment step timeout (credit is kept as stored credit)'),
        warnBeforeTimeoutSeconds: seconds(15, 'The screen warns this long before a timeout fires'),
        reviewTimeoutSeconds: seconds(60, 'How long the photo review (accept or retake) waits for the customer'),
        doneSeconds: seconds(60, 'How long the code stays on screen after a completed session'),
        retrySeconds: seconds(30, 'Retry period of a paid session blocked by a fault (printer, disk)'),
        deliveryGiveUpSeconds: seconds(
          600,
          'A paid session blocked this long before its board printed is given up: the money goes back (hopper, or a refund claim); the customer may ask for it sooner',
        ),
      })
      .strict()
      .prefault({}),
    fleet: z
      .object({
        url: z
          .string()
          .regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL')
          .optional()
          .describe('MQTT broker URL (absent: no fleet)'),
        caFile: z.string().optional().describe('CA certificate of the broker (PEM)'),
        certFile: z.string().optional().describe('Booth client certificate (PEM)'),
        keyFile: z.string().optional().describe('Booth client private key (PEM)'),
        signingKeyFile: z.string().optional().describe('Ed25519 private key signing records (PEM; default in data.dir)'),
        releaseKeyFile: z.string().default('/etc/cabine/release-signing.pub.pem').describe("The operator's release public key (Ed25519, PEM): the fleet's update command installs only bundles it signed"),
        telemetrySeconds: seconds(60, 'Telemetry period'),
        inflightWindow: z.number().int().min(1).max(1000).default(32).describe('Records in flight awaiting ack'),
      })
      .strict()
      .prefault({}),
    ui: z
      .object({
        port: z.number().int().min(0).max(65535).default(8080).describe('Port of the customer screen on 127.0.0.1'),
        defaultLanguage: z.enum(['fr', 'en', 'es', 'de', 'ar']).default('fr').describe('Language of the attract screen'),
        voice: z.boolean().default(true).describe('Voice prompts (espeak-ng)'),
        volume: z.number().int().min(0).max(100).default(70).describe('Voice volume (%)'),
      })
      .strict()
      .prefault({}),
    console: z
      .object({
        pinFile: z.string().optional().describe('File holding the scrypt hash of the technician PIN, readable by the booth user only (0600; default data.dir/console-pin.hash); written by `cabine console --set-pin`'),
        pinHash: z.string().optional().describe('Deprecated: the PIN hash now lives in console.pinFile; a hash left here is moved there at the next start'),
        socket: z.string().optional().describe('Unix socket of the booth control API (default data.dir/cabine.sock)'),
        idleTimeoutSeconds: seconds(600, 'Console session idle timeout'),
        freeFailures: z.number().int().min(1).max(20).default(3).describe('Wrong PINs allowed before the console locks'),
        lockoutSeconds: seconds(30, 'First console lockout after too many wrong PINs; each further failure doubles it (at most 1 h)'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

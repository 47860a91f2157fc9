/**
 * What plugins add to the daemon through their `configureDaemon` hook (see `DaemonHost` in
 * @ao/core's contracts/plugin.ts): routes, upgrades and services, gathered here and mounted by
 * run.ts behind the same checks as every other request. The daemon names no plugin: it asks each
 * one the registry knows (built-ins and the config's `plugins:`).
 */
import {
  AoError,
  describeError,
  isAoError,
  systemClock,
  type AoPaths,
  type DaemonRouteHandler,
  type DaemonUpgradeHandler,
  type Exec,
  type Logger,
  type PluginContext,
  type PluginRegistry,
} from '@ao/core';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteHandler } from './server.js';

export interface PluginServices {
  /** Plugin routes, in registration order; each resolves false for a path not its own. */
  handlers: RouteHandler[];
  /** Offers an upgrade to each plugin's handler; false when none took it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  /** Runs the plugins' close hooks, last registered first; failures are logged, never thrown. */
  close(): Promise<void>;
}

export async function configurePlugins(deps: {
  registry: PluginRegistry;
  paths: AoPaths;
  logger: Logger;
  exec: Exec;
  env: Readonly<Record<string, string | undefined>>;
  configDir: string;
}): Promise<PluginServices> {
  const routes: DaemonRouteHandler[] = [];
  const upgrades: DaemonUpgradeHandler[] = [];
  const closers: { plugin: string; hook: () => void | Promise<void> }[] = [];

  const close = async (): Promise<void> => {
    for (const { plugin, hook } of closers.splice(0).reverse()) {
      try {
        await hook();
      } catch (error) {
        deps.logger.warn({ plugin, err: describeError(error) }, 'plugin close hook failed');
      }
    }
  };

  for (const entry of deps.registry.list()) {
    const plugin = `${entry.slot}:${entry.name}`;
    const manifest = await deps.registry.get(entry.slot, entry.name);
    if (!manifest.configureDaemon) continue;
    const ctx: PluginContext = {
      logger: deps.logger.child({ plugin }),
      paths: deps.paths,
      exec: deps.exec,
      clock: systemClock,
      env: deps.env,
      configDir: deps.configDir,
    };
    try {
      await manifest.configureDaemon(
        {
          use: (handler) => void routes.push(handler),
          upgrade: (handler) => void upgrades.push(handler),
          onClose: (hook) => void closers.push({ plugin, hook }),
        },
        ctx,
      );
    } catch (error) {
      // What the plugins before it started must not outlive the daemon that will not run.
      await close();
      if (isAoError(error)) throw error;
      throw new AoError('DAEMON_FAILED', `The ${entry.slot} plugin "${entry.name}" could not set up its part of the daemon: ${describeError(error)}`, { cause: error });
    }
    deps.logger.debug({ plugin }, 'plugin configured the daemon');
  }

  return {
    handlers: routes.map((handle) => async (req, res, url) => handle(req, res, url)),
    upgrade(req, socket, head, url) {
      return upgrades.some((handle) => handle(req, socket, head, url));
    },
    close,
  };
}

<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Endpoint overrides that older versions kept in configuration.
 *
 * The library sends the credential to the login endpoint, so only
 * settings.php may name it now (update 10005 removes the stored values).
 * This turns what was stored into the settings.php lines an admin adds to
 * keep it.
 */
final class LegacyEndpointOverrides {

  public const KEYS = ['login_endpoint', 'graph_endpoint'];

  /**
   * @param array<string, mixed> $connection
   *   The stored "connection" configuration.
   *
   * @return list<string>
   *   One PHP line per override that was set, its value quoted for PHP and
   *   stripped of any user:password part.
   */
  public static function settingsLines(array $connection): array {
    $lines = [];
    foreach (self::KEYS as $key) {
      $value = $connection[$key] ?? NULL;
      if (!is_string($value) || trim($value) === '') {
        continue;
      }
      $value = (string) preg_replace('#^([a-z][a-z0-9+.-]*://)[^/@]*@#i', '$1', trim($value));
      $lines[] = sprintf("\$settings['entra_provisioning']['%s'] = %s;", $key, var_export($value, TRUE));
    }

    return $lines;
  }

}

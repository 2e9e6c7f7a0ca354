<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Where the module's configuration comes from.
 */
interface ConfigSourceInterface {

  /**
   * The raw data of the entra_provisioning.settings configuration.
   *
   * @return array<string, mixed>
   */
  public function moduleConfig(): array;

  /**
   * $settings['entra_provisioning'] from settings.php (library, header,
   * client_secret, private_key_pem, login_endpoint, graph_endpoint,
   * ffi_mode), or [].
   *
   * @return array<string, mixed>
   */
  public function siteSettings(): array;

  /**
   * Absolute path of the module folder (default place of lib/).
   */
  public function moduleDirectory(): string;
}

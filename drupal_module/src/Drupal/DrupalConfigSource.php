<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Config\ConfigFactoryInterface;
use Drupal\Core\Site\Settings;
use Drupal\entra_provisioning\Provisioning\ConfigSourceInterface;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;

/**
 * The module configuration (with settings.php $config overrides) and
 * $settings['entra_provisioning'].
 */
final class DrupalConfigSource implements ConfigSourceInterface {

  public function __construct(
    private ConfigFactoryInterface $configFactory
  ) {
  }

  public function moduleConfig(): array {
    $data = $this->configFactory->get(ModuleSettings::CONFIG_NAME)->get();

    return is_array($data) ? $data : [];
  }

  public function siteSettings(): array {
    $value = Settings::get('entra_provisioning', []);

    return is_array($value) ? $value : [];
  }

  public function moduleDirectory(): string {
    return dirname(__DIR__, 2);
  }

}

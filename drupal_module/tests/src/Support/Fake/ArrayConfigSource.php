<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\ConfigSourceInterface;

final class ArrayConfigSource implements ConfigSourceInterface {

  /**
   * @var array<string, mixed>
   */
  public array $config;

  /**
   * @var array<string, mixed>
   */
  public array $site;

  public string $moduleDir;

  /**
   * @param array<string, mixed> $config
   * @param array<string, mixed> $site
   */
  public function __construct(array $config, array $site = [], string $moduleDir = '/srv/www/modules/entra_provisioning') {
    $this->config = $config;
    $this->site = $site;
    $this->moduleDir = $moduleDir;
  }

  /**
   * The shipped default configuration with overrides.
   *
   * @param array<string, mixed> $overrides
   *   Nested, merged recursively.
   *
   * @return array<string, mixed>
   */
  public static function defaults(array $overrides = []): array {
    $file = dirname(__DIR__, 4) . '/config/install/entra_provisioning.settings.yml';
    $defaults = yaml_parse_file($file);
    if (!is_array($defaults)) {
      throw new \RuntimeException('Cannot parse ' . $file);
    }

    return array_replace_recursive($defaults, $overrides);
  }

  public function moduleConfig(): array {
    return $this->config;
  }

  public function siteSettings(): array {
    return $this->site;
  }

  public function moduleDirectory(): string {
    return $this->moduleDir;
  }

}

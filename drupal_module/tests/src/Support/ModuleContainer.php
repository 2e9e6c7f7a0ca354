<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * A service container that answers only the ids entra_provisioning.services.yml
 * defines, plus the core ids a test names: code that asks for a service id the
 * module does not define fails here as it would in Drupal, and a module
 * object the test hands out must be of the class services.yml names for its
 * id (a test fake may stand in for a Drupal adapter).
 */
final class ModuleContainer implements ContainerInterface {

  /**
   * @var array<string, true>
   */
  private array $known = [];

  /**
   * Service id => class, as services.yml defines it.
   *
   * @var array<string, string>
   */
  private array $classes = [];

  /**
   * @param array<string, object> $services
   *   The objects to hand out, by id.
   * @param list<string> $coreIds
   *   Ids of core services the test stands in for (e.g. "messenger").
   */
  public function __construct(private array $services, array $coreIds = []) {
    $file = dirname(__DIR__, 3) . '/entra_provisioning.services.yml';
    $definitions = function_exists('yaml_parse_file') ? yaml_parse_file($file) : FALSE;
    if (!is_array($definitions) || !is_array($definitions['services'] ?? NULL)) {
      throw new \RuntimeException('Cannot read ' . $file . ' (php-yaml is needed).');
    }
    foreach ($definitions['services'] as $id => $definition) {
      $this->known[(string) $id] = TRUE;
      if (is_array($definition) && is_string($definition['class'] ?? NULL)) {
        $this->classes[(string) $id] = ltrim($definition['class'], '\\');
      }
    }
    foreach ($coreIds as $id) {
      $this->known[$id] = TRUE;
    }
    foreach ($services as $id => $service) {
      $class = $this->classes[$id] ?? NULL;
      $isModuleObject = str_starts_with(get_class($service), 'Drupal\\entra_provisioning\\');
      if ($class !== NULL && $isModuleObject && !$service instanceof $class) {
        throw new \LogicException(sprintf('services.yml makes "%s" a %s, the test gave a %s.', $id, $class, get_class($service)));
      }
    }
  }

  public function get(string $id, int $invalidBehavior = self::EXCEPTION_ON_INVALID_REFERENCE): ?object {
    if (!isset($this->known[$id])) {
      throw new \LogicException(sprintf('"%s" is not a service of entra_provisioning.services.yml (nor a core service this test provides).', $id));
    }
    if (!isset($this->services[$id])) {
      throw new \LogicException(sprintf('The test provides no object for the service "%s".', $id));
    }

    return $this->services[$id];
  }

  public function has(string $id): bool {
    return isset($this->known[$id], $this->services[$id]);
  }

}

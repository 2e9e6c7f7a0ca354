<?php

/**
 * @file
 * Minimal stand-ins for the Drush 12/13 classes the module's command class
 * uses, for tests on a machine without Drush. Each mirrors the real
 * signature (checked against drush-ops/drush and
 * consolidation/annotated-command, see the module README): attributes with
 * the same named parameters, DrushCommands with its exit-code constants and
 * io(), AutowireTrait::create() resolving constructor parameters by type.
 * Defined only when the real classes are absent.
 *
 * io() returns an IoRecorder in place of Drush's DrushStyle (a SymfonyStyle):
 * the same method names, including createProgressBar() and
 * getErrorStyle(). The stand-ins say nothing about how Drush turns a method
 * signature into arguments and options: AnnotatedCommandRules restates
 * that, and CommandSignatureTest applies it to every command.
 */

declare(strict_types=1);

namespace Drush\Attributes {

  if (!class_exists(Command::class, FALSE)) {
    #[\Attribute(\Attribute::TARGET_METHOD)]
    class Command {

      /**
       * @param list<string> $aliases
       */
      public function __construct(public string $name, public array $aliases = []) {
      }
    }

    #[\Attribute(\Attribute::TARGET_METHOD | \Attribute::IS_REPEATABLE)]
    class Argument {

      /**
       * @param array<mixed>|\Closure $suggestedValues
       */
      public function __construct(public string $name, public string $description, public array|\Closure $suggestedValues = []) {
      }
    }

    #[\Attribute(\Attribute::TARGET_METHOD | \Attribute::IS_REPEATABLE)]
    class Option {

      /**
       * @param array<mixed>|\Closure $suggestedValues
       */
      public function __construct(public string $name, public string $description, public array|\Closure $suggestedValues = []) {
      }
    }

    #[\Attribute(\Attribute::TARGET_METHOD | \Attribute::IS_REPEATABLE)]
    class Usage {

      public function __construct(public string $name, public ?string $description = NULL) {
      }
    }
  }
}

namespace Drush\Commands {

  use Drupal\Tests\entra_provisioning\Support\IoRecorder;

  if (!class_exists(DrushCommands::class, FALSE)) {
    abstract class DrushCommands {

      public const REQ = 2;
      public const OPT = 4;
      public const EXIT_SUCCESS = 0;
      public const EXIT_FAILURE = 1;
      public const EXIT_FAILURE_WITH_CLARITY = 3;

      protected ?IoRecorder $io = NULL;

      public function __construct() {
      }

      protected function io(): IoRecorder {
        return $this->io ??= new IoRecorder();
      }

      /**
       * Test access to what the command printed.
       */
      public function recorder(): IoRecorder {
        return $this->io();
      }
    }
  }

  if (!trait_exists(AutowireTrait::class, FALSE)) {
    trait AutowireTrait {

      /**
       * As Drush's: each constructor parameter is the service named by
       * its type (or by an #[Autowire] attribute, unused here).
       *
       * @param object $container
       *   Anything with has(string) and get(string).
       */
      public static function create($container): static {
        $args = [];
        $constructor = new \ReflectionMethod(static::class, '__construct');
        foreach ($constructor->getParameters() as $parameter) {
          $service = ltrim((string) $parameter->getType(), '?');
          if (!$container->has($service)) {
            throw new \RuntimeException(sprintf('Cannot autowire service "%s" of %s::__construct().', $service, static::class));
          }
          $args[] = $container->get($service);
        }

        return new static(...$args);
      }
    }
  }

}
